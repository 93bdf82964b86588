"""Bounded runs (`soc run --max-sim / --max-wall`), and stalls named with exit code 3.

The reference is the run SimPy's own `env.run` drives: a sliced run writes the same
summary byte for byte, and a run stopped at 100 us holds exactly the layers that the
complete run had finished by then, with the same figures."""

import json
import re
import subprocess
import sys

import pytest

from soc.assemble import assemble
from soc.config import load_scenario
from soc.energy import EnergyLedger, load_energy_table
from soc.kernel import Level, SpanKind
from soc.report import Summary
from soc.runner import control, run_scenario
from soc.runner.run import build_summary
from soc.trace import StatsCollector, Tracer
from soc.trace.events import Sink, SpanEvent

from .conftest import QUICKSTART, ROOT, soc

NO_FILES = ["run.chrome_trace=false", "run.perfetto_trace=false", "run.plots=false"]


class LayerEnds(Sink):
    """When each accelerator layer ended (its span's end)."""

    def __init__(self) -> None:
        self.ends: dict[str, int] = {}

    def on_span(self, event: SpanEvent) -> None:
        if event.kind == SpanKind.LAYER:
            self.ends[str(event.fields["layer"])] = event.end_ps


def _run_by_simpy(config) -> tuple[dict, dict[str, int]]:
    """The summary of a run driven by SimPy's own `env.run(until=...)`, no slices, and
    when its layers ended."""
    window = config.run.timeline_window_ps
    stats, ledger = (
        StatsCollector(window),
        EnergyLedger(load_energy_table(config.soc.energy_table), window),
    )
    ends = LayerEnds()
    tracer = Tracer(
        Level.parse(config.run.trace_level), [stats, ledger, ends], activity_window_ps=window
    )
    system = assemble(config, tracer)
    system.env.run(until=system.cpu.finished)
    tracer.close(system.env.now)
    return build_summary(config, system, stats, ledger.breakdown()), ends.ends


ONE_FRAME_SET = ["driver.frames=1", *NO_FILES]
ONE_FRAME = load_scenario(QUICKSTART, ONE_FRAME_SET)


@pytest.fixture(scope="module")
def by_simpy() -> tuple[dict, dict[str, int]]:
    return _run_by_simpy(ONE_FRAME)


@pytest.mark.parametrize("slice_events", [997, control.SLICE_EVENTS])
def test_a_sliced_run_writes_the_summary_simpy_would(tmp_path, monkeypatch, by_simpy, slice_events):
    monkeypatch.setattr(control, "SLICE_EVENTS", slice_events)
    run_scenario(ONE_FRAME, tmp_path / "run")
    written = (tmp_path / "run" / "summary.json").read_text()
    assert written == json.dumps(by_simpy[0], indent=2) + "\n"
    assert json.loads(written)["complete"] is True


def test_max_sim_keeps_what_the_complete_run_had_done_by_then(tmp_path, by_simpy):
    """Stopped at 100 us, inside the frame (126 us): no frame, the layers done by then."""
    complete, ends = by_simpy
    bound_ps = 100_000_000
    out = tmp_path / "run"
    sets = [f"--set={s}" for s in ONE_FRAME_SET]
    result = soc(
        "run",
        str(QUICKSTART),
        "--out",
        str(out),
        "--max-sim",
        "100 us",
        *sets,
        "--set=run.chrome_trace=true",
    )
    assert result.returncode == 0, result.stderr
    assert (
        "INCOMPLETE: stopped by --max-sim at 100.000 us simulated; the figures cover only that"
    ) in result.stdout.splitlines()
    partial = json.loads((out / "summary.json").read_text())
    Summary.model_validate(partial)
    assert partial["complete"] is False
    assert partial["stopped"] == {"reason": "max_sim", "at_ps": bound_ps}
    assert partial["total_ps"] == bound_ps
    assert partial["frames"] == [] and complete["frames"] != []
    latency = partial["pipelines"]["main"]["latency_ps"]
    assert latency == {"count": 0, "mean": None, "p50": None, "p99": None, "max": None}
    done = [row for row in complete["layers"] if ends[row["layer"]] <= bound_ps]
    assert partial["layers"] == done and 0 < len(done) < len(complete["layers"])
    json.loads((out / "trace.json").read_text())  # closed: a whole JSON document


def test_max_wall_stops_the_run_and_says_so(tmp_path):
    out = tmp_path / "run"
    args = [f"--set={s}" for s in NO_FILES]
    result = soc(
        "run", str(QUICKSTART), "--out", str(out), "--max-wall", "1 ms", "--format", "json", *args
    )
    assert result.returncode == 0, result.stderr
    partial = json.loads((out / "summary.json").read_text())
    assert partial["complete"] is False and partial["stopped"]["reason"] == "max_wall"
    assert partial["stopped"]["at_ps"] == partial["total_ps"] < 4_292_724_693  # the full run's
    assert "stopped by --max-wall" in result.stderr
    assert "\r" not in result.stderr  # not a terminal: no progress line


@pytest.mark.parametrize(
    ("option", "value"), [("--max-sim", "2000"), ("--max-wall", "ten minutes")]
)
def test_a_malformed_bound_is_one_line_and_exit_2(tmp_path, option, value):
    result = soc("run", str(QUICKSTART), "--out", str(tmp_path / "r"), option, value)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and option in result.stderr
    assert not (tmp_path / "r").exists()


def _sabotaged(tmp_path, patch: str, *more: str) -> subprocess.CompletedProcess:
    """`soc run` of a one-frame quickstart in which `patch` removed a consumer, with
    `more` arguments."""
    code = (
        f"import sys\n{patch}\n"
        "from soc.cli.main import main\n"
        f"sys.argv = ['soc', 'run', {str(QUICKSTART)!r}, '--out', {str(tmp_path / 'r')!r},"
        f" '--set', 'driver.frames=1', *{list(more)!r}]\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


STALL = re.compile(r"^error: stalled at t=\d+ ps: (\d+) processes blocked( \(.*\))?$")


def _check_stall(result: subprocess.CompletedProcess, tmp_path) -> list[str]:
    assert result.returncode == 3, result.stderr
    first, *lines = result.stderr.splitlines()
    match = STALL.match(first)
    assert match, first
    counted = sum(int(m.group(1)) if (m := re.search(r"\(x(\d+)\)$", ln)) else 1 for ln in lines)
    assert counted == int(match.group(1))
    assert not (tmp_path / "r").exists()
    return [line.strip() for line in lines]


def test_a_dram_that_never_serves_stalls_with_the_waiting_requests_named(tmp_path):
    result = _sabotaged(
        tmp_path, "from soc.hw.dram import SimpleDram\nSimpleDram.start = lambda self: None"
    )
    lines = _check_stall(result, tmp_path)
    # the host's first copy (pre-processing) waits in the DRAM's FIFO, 8 requests deep
    # (cpu.max_outstanding: 8 in scenarios/soc/edge_npu.yaml)
    assert (
        "cpu HostCpu._copy (in SimpleDram._handle): waits for dram._pending._fifos"
        "[('cpu', False)] (x8)"
    ) in lines
    assert "npu FlexNNEngine._sequence: waits for npu._jobs (StoreGet)" in lines


def test_a_dma_that_never_runs_stalls_the_accelerator_on_its_tile(tmp_path):
    result = _sabotaged(
        tmp_path, "from soc.hw.dma import DmaEngine\nDmaEngine.start = lambda s: None"
    )
    lines = _check_stall(result, tmp_path)
    assert "npu FlexNNEngine._load: waits for ready (a variable of npu FlexNNEngine._load)" in lines
    assert any(line.startswith("cpu HostCpu._drive (in HostCpu._run_job)") for line in lines)


CAMERA = (
    "masters=[{kind: camera, name: cam, width: 640, height: 480, bytes_per_pixel: 2, fps: 30,"
    " request_bytes: line}]"
)


def test_a_stall_behind_a_busy_camera_is_found_by_the_watch(tmp_path):
    """The camera's traffic keeps the event queue from running dry, so only the watch
    between slices sees the stall: nothing finished for 100 estimated frames, ten
    240 fps periods (41.7 ms) and 1 ms, whichever is longest, and the driver blocked.
    Without it the run would never end (the timeout of the subprocess)."""
    result = _sabotaged(
        tmp_path, "from soc.hw.dma import DmaEngine\nDmaEngine.start = lambda s: None",
        "--set", CAMERA,
    )  # fmt: skip
    lines = _check_stall(result, tmp_path)
    first = result.stderr.splitlines()[0]
    idle = re.search(r"the driver finished nothing for ([\d.]+) ms simulated\)$", first)
    assert idle and float(idle.group(1)) >= 1e3 * 10 / 240, first
    assert any(line.startswith("cpu HostCpu._drive (in HostCpu._run_job)") for line in lines)
    assert not any(line.startswith("cam ") for line in lines)  # the camera's are left out
