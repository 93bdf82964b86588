"""The tests' forked `soc` (forked_soc) gives what a new `python -m soc` gives: the same
exit code, stdout and stderr, for success, user errors, usage errors and help, and the
same bytes in every file of a run folder with all outputs."""

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


def test_a_forked_run_writes_the_bytes_of_a_new_interpreters_run(tmp_path):
    outputs = ("chrome_trace", "perfetto_trace", "native_trace", "record_requests", "plots")
    sets = [arg for name in outputs for arg in ("--set", f"run.{name}=true")]
    args = ("run", QUICKSTART, *sets, "--set", "run.trace_level=request", "--out")
    forked, fresh = soc(*args, str(tmp_path / "forked")), soc_fresh(*args, str(tmp_path / "fresh"))
    assert forked.returncode == fresh.returncode == 0, forked.stderr + fresh.stderr

    def files(folder):
        return {
            str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()
        }

    a, b = files(tmp_path / "forked"), files(tmp_path / "fresh")
    assert {"summary.json", "trace.pftrace", "trace/requests.parquet"} <= set(a)
    assert any(name.endswith(".png") for name in a)
    assert sorted(a) == sorted(b) and [n for n in a if a[n] != b[n]] == []
