"""The tests' forked `soc` (forked_soc) gives what a new `python -m soc` gives: the same
exit code, stdout and stderr, for success, user errors, usage errors and help."""

import os

import pytest

from .conftest import ROOT, soc, soc_fresh

QUICKSTART = str(ROOT / "scenarios" / "quickstart.yaml")


@pytest.mark.parametrize(
    "args",
    [
        ("validate", QUICKSTART),  # exit 0
        ("validate", QUICKSTART, "--set", "soc.dram.fidelity=fluidd"),  # exit 2, one line
        ("validate", "no-such.yaml"),
        ("run",),  # a usage error from the command line parser
        ("--help",),
        ("schema",),
    ],
)
def test_forked_soc_answers_as_a_new_interpreter(args):
    forked, fresh = soc(*args), soc_fresh(*args)
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        fresh.returncode,
        fresh.stdout,
        fresh.stderr,
    )


def test_the_environment_and_directory_are_the_callers(tmp_path):
    (tmp_path / "m.onnx").write_bytes(b"x" * 2000)
    env = {**os.environ, "FLEXSOC_MAX_INPUT_MB": "0.001"}  # 1048 B
    result = soc("map", "onnx:m.onnx", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "FLEXSOC_MAX_INPUT_MB" in result.stderr and "m.onnx" in result.stderr
    other = soc("map", "onnx:m.onnx", cwd=tmp_path)  # this process's environment
    assert other.returncode == 2 and "FLEXSOC_MAX_INPUT_MB" not in other.stderr
