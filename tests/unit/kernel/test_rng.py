"""component_rng: one stream per (seed, path), stable across processes."""

import os
import subprocess
import sys

from soc.kernel.rng import component_rng

DRAW = "component_rng({seed}, {path!r}).integers(0, 2**62, size=8).tolist()"


def draws(seed: int, path: str) -> list[int]:
    return component_rng(seed, path).integers(0, 2**62, size=8).tolist()


def test_same_seed_and_path_give_the_same_stream():
    assert draws(7, "npu.load") == draws(7, "npu.load")


def test_different_path_or_seed_give_different_streams():
    base = draws(7, "npu.load")
    assert draws(7, "npu.drain") != base
    assert draws(8, "npu.load") != base


def test_stream_does_not_depend_on_the_python_hash_seed():
    # Another interpreter with another PYTHONHASHSEED must draw the same numbers.
    code = (
        "from soc.kernel.rng import component_rng; print("
        + DRAW.format(seed=7, path="npu.load")
        + ")"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == str(draws(7, "npu.load"))
