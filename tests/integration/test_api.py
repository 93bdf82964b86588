"""The Python API (soc.api): `soc.run` gives what `soc run` gives, overrides follow the
`--set` rule and its errors, results are typed, a run folder loads back."""

import json
from pathlib import Path

import pyarrow as pa
import pytest

import soc
from soc.api import RunResult, SweepResult, load, override_texts
from soc.config import load_scenario
from soc.config.loader import parse_override
from soc.errors import ConfigError, OutputError
from soc.report.schema import DramMaster, Frame, Layer, Summary

from .conftest import QUICKSTART
from .conftest import soc as soc_cli

NO_FILES = {  # what makes `out=` runs slow and is not compared here
    "run.chrome_trace": False,
    "run.perfetto_trace": False,
    "run.native_trace": False,
    "run.plots": False,
}


@pytest.fixture(scope="module")
def in_memory() -> RunResult:
    return soc.run(QUICKSTART)


def test_run_in_memory_gives_the_summary_soc_run_writes(in_memory, summary):
    """Field by field; summary.json holds no wall time or path (both are on RunResult)."""
    assert in_memory.run_dir is None and in_memory.wall_s > 0 and in_memory.events > 0
    got = in_memory.to_dict()
    assert list(got) == list(summary)
    for section in summary:
        assert got[section] == summary[section], section


def test_the_summary_is_typed_and_the_tables_hold_its_rows(in_memory, summary):
    s = in_memory.summary
    assert isinstance(s, Summary) and isinstance(s.frames[0], Frame)
    assert isinstance(s.layers[0], Layer) and isinstance(s.dram.by_master["dma"], DramMaster)
    assert s.layers[0].stall_ps.dma_bound == summary["layers"][0]["stall_ps"]["dma-bound"]

    frames = in_memory.frames
    assert isinstance(frames, pa.Table)
    assert frames.column("latency_ps").to_pylist() == [f["latency_ps"] for f in summary["frames"]]
    layers = in_memory.layers
    assert layers.column("layer").to_pylist() == [row["layer"] for row in summary["layers"]]
    assert layers.column("stall_dma_bound_ps").to_pylist() == [
        row["stall_ps"]["dma-bound"] for row in summary["layers"]
    ]
    dram = {row["master"]: row for row in in_memory.dram.to_pylist()}
    assert set(dram) == set(summary["dram"]["by_master"])
    for master, counts in summary["dram"]["by_master"].items():
        assert dram[master]["dram_read_byte"] == counts["dram_read_byte"]
        p99 = summary["dram"]["latency_ps"][master]["p99"]
        assert dram[master]["latency_p99_ps"] == p99
    by_component = in_memory.energy.by_component.to_pylist()
    assert {r["component"]: r["total_pj"] for r in by_component} == {
        name: c["total_pj"] for name, c in summary["energy"]["by_component"].items()
    }
    window = summary["dram"]["bandwidth_over_time"]["window_ps"]
    assert in_memory.dram_bandwidth.column("t_ps").to_pylist()[:3] == [0, window, 2 * window]


def test_overrides_change_the_run(summary):
    """Keyword `soc__dram__fidelity` is soc.dram.fidelity; `set=` takes dotted keys. The
    banked DRAM counts row hits, which the simple one does not (DramMaster.row_hit_rate:
    absent when the DRAM counts no rows); one frame instead of two."""
    result = soc.run(QUICKSTART, soc__dram__fidelity="banked", set={"driver.frames": 1})
    assert result.config.soc.dram.fidelity == "banked"
    assert len(result.summary.frames) == 1 and len(summary["frames"]) == 2
    assert all(m.row_hit_rate is not None for m in result.summary.dram.by_master.values())
    assert all("row_hit_rate" not in m for m in summary["dram"]["by_master"].values())


def test_a_wrong_key_raises_the_cli_error():
    with pytest.raises(ConfigError) as raised:
        soc.run(QUICKSTART, soc__dram__fidelty="fluid")
    cli = soc_cli("validate", str(QUICKSTART), "--set", "soc.dram.fidelty=fluid")
    assert cli.returncode == 2
    assert cli.stderr.strip() == f"error: {raised.value}"
    assert "soc.dram.fidelty" in str(raised.value)


def test_a_value_of_the_wrong_type_names_its_key():
    with pytest.raises(ConfigError, match=r"soc\.dram\.fidelity"):
        soc.run(QUICKSTART, set={"soc.dram.fidelity": 3})


def test_max_sim_bounds_a_run_as_the_cli_option_does(in_memory):
    """The quickstart's first frame ends after 100 us of simulated time, so a run bounded
    there finishes no frame; its summary says so, and the run stops at the bound."""
    first_end = in_memory.summary.frames[0].start_ps + in_memory.summary.frames[0].latency_ps
    assert first_end > 100_000_000
    cut = soc.run(QUICKSTART, max_sim="100 us")
    assert cut.summary.complete is False and in_memory.summary.complete is True
    assert cut.summary.stopped.reason == "max_sim" and cut.summary.stopped.at_ps == 100_000_000
    assert cut.summary.total_ps == 100_000_000 and cut.summary.frames == []
    assert 0 < cut.events < in_memory.events
    with pytest.raises(ConfigError, match="max_wall / max_sim: .*needs a unit"):
        soc.run(QUICKSTART, max_sim="200")


def test_an_incomplete_runs_power_counts_what_finished(in_memory):
    """Stopped at 100 us, before its first frame ends but after some layers did: the
    pipeline's power is that of the finished layer runs (not 0 W for no frame), and no
    more than the whole SoC's over the same time."""
    cut = soc.run(QUICKSTART, max_sim="100 us").to_dict()
    assert cut["frames"] == [] and cut["layers"]  # layers finished, no frame did
    seconds = cut["total_ps"] / 1e12
    # before the first frame ends, every layer (and op) that finished ran once
    finished = sum(row["total_pj"] for row in cut["energy"]["by_layer"].values())
    power = cut["pipelines"]["main"]["average_power_w"]
    assert power > 0
    assert power == pytest.approx(finished * 1e-12 / seconds)
    assert power <= cut["energy"]["total_pj"] * 1e-12 / seconds


def test_an_implausible_scenario_is_refused_unless_forced():
    """As `soc run` refuses it: a 1 Hz CPU clock makes a frame take hours of simulated
    time; with force=True it runs (bounded here by max_sim)."""
    with pytest.raises(ConfigError, match=r"^implausible: soc\.cpu\.freq_hz: 1 Hz makes a frame"):
        soc.run(QUICKSTART, set=["soc.cpu.freq_hz=1 Hz"])
    forced = soc.run(QUICKSTART, set=["soc.cpu.freq_hz=1 Hz"], force=True, max_sim="1 ms")
    assert forced.summary.complete is False and forced.summary.frames == []


def test_override_texts_follow_the_set_rule():
    texts = override_texts({"pipelines[0].fps": 30}, soc__dram__preset="lpddr5_6400")
    assert texts == ["pipelines[0].fps=30", "soc.dram.preset=lpddr5_6400"]
    as_cli = override_texts(["soc.dram.fidelity=banked"], driver__frames=1)
    assert as_cli == ["soc.dram.fidelity=banked", "driver.frames=1"]
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        override_texts("soc.dram.fidelity=banked")  # one text, not a list of them
    with pytest.raises(ConfigError, match="dotted path"):
        override_texts({"soc.dram=x": 1})


@pytest.mark.parametrize(
    "value", ["fluid", "100 ns", "3", "yes", "", 3, 2.5, 1e-5, True, None, [1, "x"], {"a": 1}]
)
def test_a_value_reaches_the_loader_as_the_same_python_value(value):
    (text,) = override_texts({"a.b": value})
    at, parsed = parse_override(text)
    assert at == ("a", "b") and parsed == value and type(parsed) is type(value)


def test_a_scenario_config_takes_overrides_as_a_file_does():
    config = load_scenario(QUICKSTART)
    changed = load(config, override_texts(driver__frames=1))
    assert config.driver.frames == 2 and changed.driver.frames == 1
    assert changed.model_copy(update={"driver": config.driver}) == config
    with pytest.raises(ConfigError, match=r"driver\.framez"):
        load(config, override_texts(driver__framez=1))


def test_out_writes_a_run_folder_that_loads_back(tmp_path):
    out = tmp_path / "run"
    result = soc.run(QUICKSTART, out=out, set=NO_FILES)
    assert result.run_dir == out
    assert (out / "summary.json").is_file() and (out / "config.yaml").is_file()
    loaded = RunResult.from_folder(out)
    assert loaded.to_dict() == json.loads((out / "summary.json").read_text())
    assert loaded.to_dict() == result.to_dict()
    assert loaded.config == result.config and loaded.run_dir == out


def test_from_folder_reads_a_folder_soc_run_wrote(quickstart_run, summary):
    loaded = RunResult.from_folder(quickstart_run)
    assert loaded.to_dict() == summary
    assert loaded.config.name == "quickstart" and loaded.wall_s is None
    assert loaded.frames.num_rows == len(summary["frames"])


def test_from_folder_refuses_a_folder_that_is_no_run(tmp_path):
    with pytest.raises(OutputError, match="summary.json"):
        RunResult.from_folder(tmp_path)


def test_soc_exports_the_api():
    from soc import api

    assert soc.run is api.run and soc.sweep is api.sweep
    assert soc.RunResult is api.RunResult and soc.SweepResult is api.SweepResult
    assert {"run", "sweep", "RunResult", "SweepResult"} <= set(dir(soc))


def test_sweep_result_splits_points_and_loads_one(quickstart_run):
    table = pa.table(
        {
            "point": [0, 1],
            "error": [None, "simulation stalled"],
            "run_folder": [quickstart_run.name, None],  # relative to the sweep folder
        }
    )
    result = SweepResult(table, quickstart_run.parent)
    assert result.ok.column("point").to_pylist() == [0]
    assert result.failed.column("point").to_pylist() == [1]
    assert result.run(0).summary.scenario == "quickstart"
    with pytest.raises(OutputError, match="point 1"):
        result.run(1)


def test_sweep_runs_the_points_and_loads_each(tmp_path):
    """Each point's run folder holds the run of that point's overrides: its DRAM
    fidelity and its number of frames (driver.frames)."""
    spec = {
        "base": str(QUICKSTART),
        "set": [f"{key}=false" for key in NO_FILES],
        "mode": "zip",
        "axes": [
            {"path": "soc.dram.fidelity", "values": ["simple", "banked"]},
            {"path": "driver.frames", "values": [1, 2]},
        ],
    }
    result = soc.sweep(spec, tmp_path / "sweep")
    assert result.table.num_rows == 2 and result.failed.num_rows == 0
    assert result.ok.num_rows == 2
    for i, (fidelity, frames) in enumerate([("simple", 1), ("banked", 2)]):
        point = result.run(i)
        assert point.config.soc.dram.fidelity == fidelity
        assert len(point.summary.frames) == frames
        assert point.run_dir.parent.parent == tmp_path / "sweep"


def test_the_pareto_front_holds_the_points_nothing_beats_on_both():
    """By hand: (3, 3) is beaten by (2, 2); the failed point (0, 0) is none of the sweep's
    results; a point without an energy is on no front."""
    table = pa.table(
        {
            "point": [0, 1, 2, 3, 4, 5],
            "error": [None, None, None, None, "stalled", None],
            "frame_latency_p99_ps": [1.0, 2.0, 3.0, 4.0, 0.0, 0.5],
            "energy_per_frame_pj": [4.0, 2.0, 3.0, 1.0, 0.0, None],
        }
    )
    front = SweepResult(table, Path("sweep")).pareto()
    assert front.column("point").to_pylist() == [0, 1, 3]
    with pytest.raises(OutputError, match="no column 'watts'"):
        SweepResult(table, Path("sweep")).pareto(energy="watts")
