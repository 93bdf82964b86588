"""A `soc map` answered from the mapping cache does not import numpy (only the search
needs it; start-up time, issue 10), and prints what the search printed."""

import json
import os
import subprocess
import sys

PROBE = """
import json, sys
from soc.cli.main import app
app(args=sys.argv[1:], standalone_mode=False)
print(json.dumps("numpy" in sys.modules))
"""


def _map(cache_dir) -> tuple[list[str], bool]:
    """`soc map edge_cnn`'s lines but its timing line, and whether it imported numpy."""
    env = {**os.environ, "FLEXSOC_CACHE_DIR": str(cache_dir), "COLUMNS": "100"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "map", "edge_cnn"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    *lines, numpy = result.stdout.splitlines()
    return [line for line in lines if "mapped in" not in line], json.loads(numpy)


def test_a_warm_map_imports_no_numpy_and_prints_what_the_search_printed(tmp_path):
    cold, cold_numpy = _map(tmp_path)
    warm, warm_numpy = _map(tmp_path)
    assert cold_numpy  # the search ran: the cache was empty
    assert not warm_numpy
    assert warm == cold and any(line.lstrip().startswith("total") for line in warm)
