import logging
import os

import pytest
import structlog
from hypothesis import settings

# The simulator logs at debug level; tests keep the console quiet unless a warning.
structlog.configure(
    wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
)

# Property tests check behaviour, never speed (speed lives in bench/): no per-example
# deadline, which a busy 2-core machine would otherwise miss at random.
settings.register_profile("flexsoc", deadline=None)
settings.load_profile("flexsoc")


@pytest.fixture(autouse=True, scope="session")
def _mapping_cache_in_a_temporary_directory(tmp_path_factory):
    """Tests never write to the user's cache directory: the mapping cache of the whole
    session (and of the `soc` processes tests start) lives in a temporary directory."""
    previous = os.environ.get("FLEXSOC_CACHE_DIR")
    os.environ["FLEXSOC_CACHE_DIR"] = str(tmp_path_factory.mktemp("flexsoc-cache"))
    yield
    if previous is None:
        del os.environ["FLEXSOC_CACHE_DIR"]
    else:
        os.environ["FLEXSOC_CACHE_DIR"] = previous
