"""Every command a user types, each in a new interpreter.

The other command-line tests run `soc` in forks of an interpreter that has imported
soc's modules already (forked_soc). These start `python -m soc` afresh, so a command
whose modules do not import on their own (an import cycle, a missing import that
another module happened to make) fails here. `soc run` is the quickstart fixture's;
test_sweep starts `soc sweep` afresh."""

import json

from .conftest import ROOT, soc_fresh


def test_run(quickstart_process):
    result, out = quickstart_process
    assert "Layers, per frame" in result.stdout and (out / "summary.json").is_file()


def test_validate_map_report_and_replay(quickstart_run, tmp_path):
    result = soc_fresh("validate", str(ROOT / "scenarios" / "quickstart.yaml"))
    assert result.returncode == 0 and result.stdout.startswith("ok: quickstart"), result.stderr

    result = soc_fresh("map", "edge_cnn")
    assert result.returncode == 0 and "layers mapped in" in result.stdout, result.stderr

    result = soc_fresh("report", str(quickstart_run), "--out", str(tmp_path / "report.html"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "report.html").is_file()

    trace = tmp_path / "t.trace"
    trace.write_text("".join(f"0x{i * 64:x} READ {i * 8}\n" for i in range(20)))
    soc_file = str(ROOT / "scenarios" / "dram_contention.yaml")
    result = soc_fresh("replay", str(trace), "--soc", soc_file, "--out", str(tmp_path / "rep"))
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "rep" / "summary.json").read_text())
    assert summary["masters"]["trace"]["requests"] == 20


def test_loop_nest_and_trace_commands(quickstart_run, tmp_path):
    data = ROOT / "tests" / "validation" / "data"
    tutorial = data / "timeloop" / "00-model-conv1d-1level" / "ref-output"
    result = soc_fresh("timeloop", str(tutorial / "parsed-processed-input.yaml"))
    assert result.returncode == 0 and result.stdout.startswith("computes 48"), result.stderr

    spmspm = data / "sparseloop" / "02.2.1-spMspM"
    files = [str(spmspm / n) for n in ("arch.yaml", "problem.yaml", "timeloop-mapper.map.yaml")]
    result = soc_fresh("sparseloop", *files)
    assert result.returncode == 0 and result.stdout.startswith("computes"), result.stderr

    out = tmp_path / "t.json"
    result = soc_fresh(
        "trace", "export", str(quickstart_run), "--format", "chrome", "--out", str(out)
    )
    assert result.returncode == 0 and json.loads(out.read_text()), result.stderr

    result = soc_fresh("trace", "convert", str(quickstart_run), "--to", "jsonl")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])
