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
    if "PYTEST_XDIST_WORKER" in os.environ:
        # pytest-xdist workers share one cache, as a run without xdist does: each worker's
        # base temporary directory is a folder of the run's own (entries are written
        # whole, by rename, so workers writing the same entry do no harm)
        cache = tmp_path_factory.getbasetemp().parent / "flexsoc-cache"
        cache.mkdir(exist_ok=True)
    else:
        cache = tmp_path_factory.mktemp("flexsoc-cache")
    os.environ["FLEXSOC_CACHE_DIR"] = str(cache)
    yield
    if previous is None:
        del os.environ["FLEXSOC_CACHE_DIR"]
    else:
        os.environ["FLEXSOC_CACHE_DIR"] = previous


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test`), the files holding a slow test go first.

    `make test` hands whole files to its workers (`--dist loadfile`: a file's module
    fixtures are built once) in collection order; starting with the long files leaves
    the short ones to even out the workers' finishing times. The order within a file, and
    a run without xdist, are unchanged.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)  # stable: keeps each file's order
