"""`soc timeloop` and `soc sparseloop` on the reference designs a user already has:
Timeloop's and Sparseloop's own figures come back; what cannot be modelled is refused
in one line, exit code 2."""

from .conftest import ROOT, soc

DATA = ROOT / "tests" / "validation" / "data"
TUTORIAL = DATA / "timeloop" / "00-model-conv1d-1level" / "ref-output"
SPMSPM = DATA / "sparseloop" / "02.2.1-spMspM"


def test_soc_timeloop_prints_timeloops_counts():
    done = soc("timeloop", str(TUTORIAL / "parsed-processed-input.yaml"))
    assert done.returncode == 0, done.stderr
    # timeloop-model.stats.txt: "Computes = 48", "Cycles: 48"; the 1-level buffer reads
    # each of the 3 weights and 18 inputs once per MAC
    assert done.stdout.splitlines()[0] == "computes 48 cycles 48"
    assert "Buffer Weights instances 1 capacity 3 reads 48 fills 0 updates 0" in done.stdout


def test_soc_sparseloop_prints_actual_computes_and_refuses_what_flexnn_lacks():
    files = [str(SPMSPM / n) for n in ("arch.yaml", "problem.yaml", "timeloop-mapper.map.yaml")]
    done = soc("sparseloop", *files)
    assert done.returncode == 0, done.stderr
    # timeloop-mapper.stats.txt of 02.2.1: 512 algorithmic computes, 64 actual
    assert done.stdout.startswith("computes algorithmic 512 actual 64 ")
    refused = soc("sparseloop", "--flexnn", *files)
    assert refused.returncode == 2
    assert refused.stdout == ""
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "representation_format" in lines[0], refused.stderr


def test_a_missing_file_is_one_line_and_exit_2(tmp_path):
    done = soc("timeloop", str(tmp_path / "none.yaml"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "none.yaml" in done.stderr
