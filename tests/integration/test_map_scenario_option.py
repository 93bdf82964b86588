"""`soc map WORKLOAD.yaml --scenario SOC.yaml`: the workload of the first file mapped on
the SoC of the second, as `--scenario` does for a zoo model."""

from .conftest import ROOT, soc

BASE = ROOT / "scenarios" / "soc" / "edge_npu.yaml"
WORKLOAD = f"""\
name: w
soc:
  base: {BASE}
workload:
  layers:
    - {{name: conv, op: conv, c: 32, k: 64, h: 16, w: 16, r: 3, s: 3, padding: 1}}
    - {{name: pw, op: conv, c: 64, k: 64, h: 16, w: 16}}
"""
SMALL_NPU = "  flexnn: {pe_rows: 4, pe_cols: 4, lanes: 2}\n"


def table(result) -> str:
    """The printed tables, without the line that reports the time mapping took."""
    assert result.returncode == 0, result.stderr
    return "".join(line for line in result.stdout.splitlines(True) if "mapped in" not in line)


def test_workload_file_is_mapped_on_the_soc_of_scenario(tmp_path):
    workload = tmp_path / "workload.yaml"
    workload.write_text(WORKLOAD)
    small = tmp_path / "small.yaml"  # another scenario: a 4 x 4 array of 2-lane PEs
    small.write_text(
        f"name: s\nsoc:\n  base: {BASE}\n{SMALL_NPU}workload:\n  model: zoo:edge_cnn\n"
    )
    inline = tmp_path / "inline.yaml"  # the workload file with that SoC written into it
    inline.write_text(WORKLOAD.replace("workload:\n", SMALL_NPU + "workload:\n", 1))

    on_small = table(soc("map", str(workload), "--scenario", str(small)))
    assert on_small == table(soc("map", str(inline)))
    assert on_small != table(soc("map", str(workload)))


def test_bad_scenario_is_one_line(tmp_path):
    workload = tmp_path / "workload.yaml"
    workload.write_text(WORKLOAD)
    missing = tmp_path / "none.yaml"
    result = soc("map", str(workload), "--scenario", str(missing))
    assert result.returncode == 2
    assert result.stderr == f"error: {missing}: no such file\n"
