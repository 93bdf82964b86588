"""A scenario's own energy table replaces the default one."""

import json

import yaml

from .conftest import ROOT, soc

DEFAULT = ROOT / "soc" / "energy" / "default_table.yaml"


def test_custom_table_prices_the_run(tmp_path):
    table = yaml.safe_load(DEFAULT.read_text())
    table["name"] = "custom"
    table["actions"]["mac"] = "1 pJ"
    table["static_power"] = {"npu": "1 W"}
    (tmp_path / "table.yaml").write_text(yaml.safe_dump(table))
    scenario = (
        (ROOT / "scenarios" / "quickstart.yaml")
        .read_text()
        .replace(
            "soc/edge_npu.yaml",
            str(ROOT / "scenarios" / "soc" / "edge_npu.yaml") + "\n  energy_table: table.yaml",
        )
    )
    (tmp_path / "s.yaml").write_text(scenario)
    result = soc("run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    energy = summary["energy"]
    assert energy["table"] == "custom"
    npu = energy["by_component"]["npu"]
    assert npu["by_action"]["mac"] == summary["macs"]["executed"] * 1.0
    assert npu["static_pj"] == 1.0 * summary["total_ps"]  # 1 W x ps = pJ
    assert energy["by_component"]["cpu"]["static_pj"] == 0  # no static power listed
