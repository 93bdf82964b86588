"""Simulation speed benchmarks (issue 10): whole runs, timed as processes.

Usage: make bench   (or .venv/bin/python bench/run_bench.py [options])

  --repeat N        runs per case (default 3); median, min and max are printed
  --case TEXT       only the cases whose name contains TEXT (repeatable)
  --quick           one run per case, and no 16x MobileNetV2
  --strict          exit 1 when a case misses its target
  --no-record       do not append to bench/results.json

A "process" case is a whole `soc run` (bench/run_case.py: the same code path, plus the
event count on stderr) or `soc map` in a fresh interpreter: its seconds are wall time
from spawn to exit, its peak RSS the child's (os.wait4) plus the largest peak of the
processes it starts beside the simulation (trace and plot writers). The runs read a
mapping cache warmed beforehand in a temporary folder (FLEXSOC_CACHE_DIR), as a user's
second run would; `soc map` is timed cold (empty cache folder) and warm. Events are
SimPy events processed; events/s divides them by the run's own wall time (assembly, planning,
event loop and outputs, without interpreter start-up). "in-process" cases time a call
in this process (no RSS). Every case appends a record to bench/results.json.

Targets (issue 10, 2-core machine, medians): ResNet-50 dense, 1 frame, camera and
display, phase trace, all outputs: fluid <= 5 s, banked <= 10 s, peak RSS <= 1 GiB;
ResNet-50 sparse with real 50 % / 50 % bitmaps <= 10 s; `soc map resnet50` <= 2 s cold,
<= 0.3 s warm; MobileNetV2 camera pipeline at 30 fps on banked LPDDR4-3200: 30 frames
<= 60 s (2 s a frame) and per-frame wall time at 16x the frames within 15 % of 1x;
kernel efficiency (events/s of the memory-bound scenarios/dram_contention.yaml, no
trace files, / events/s of a bare SimPy request/timeout/release loop) >= 0.4; sweep
parallel efficiency (issue 14: `soc sweep` of 8 equal points, its wall time with
--workers 1 / (2 x its wall time with --workers 2)) >= 0.8, which needs both cores
free of other work. Soak (issue 15): scenarios/soak_camera.yaml (a VGA camera and display at
30 fps beside a small network) for 100 and for 1,000 frames: the 1,000-frame run's peak
RSS within 10 % of the 100-frame run's; about 12 minutes, so it runs only when asked for
(`--quick --case soak`: one run of each). Older
targets: quickstart <= 10 s; sparse per-round latencies of ResNet-50 <= 20 s; the
banked DRAM serves 20,000 random 128 B reads (DRAMsim3's rand_read, shortened) <= 10 s.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import simpy
import structlog

from soc.config import DramConfig, ScenarioConfig, WorkloadConfig, load_scenario
from soc.flexnn.sparsity import sparse_rounds
from soc.hw import BankedDram
from soc.kernel import MemRequest, NullRecorder, elaborate
from soc.runner import map_workload, simulate
from soc.runner.run import events_processed
from soc.workloads import load_workload
from soc.workloads.tensors import synthetic_tensors

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results.json"
PYTHON = sys.executable
SOC = str(Path(sys.executable).parent / "soc")
GIB = 2**30
BANKED = ["soc.dram.fidelity=banked"]
# what README "Performance" lists a user can trade for speed, all at once
EVERY_TRADE = [
    "soc.dma.request_bytes=4096",
    "soc.flexnn.round_batch=8",
    "masters[0].request_bytes=line",
    "masters[1].request_bytes=line",
    "run.trace_level=layer",
]
MOBILENET_FRAMES = 2  # 1x
SOAK = "scenarios/soak_camera.yaml"
SOAK_FRAMES = (100, 1000)
SOAK_GROWTH = 1.10  # the long run's peak RSS over the short run's, at most


@dataclass
class Sample:
    """One timed run: wall seconds, and what the run reported about itself."""

    seconds: float
    rss_bytes: int | None = None
    events: int | None = None
    run_s: float | None = None  # the run's own time, for events/s
    simulated_ps: int | None = None


@dataclass
class Case:
    """A named benchmark: how to run it once, its targets, and what else to record."""

    name: str
    once: Callable[[], Sample]
    target_s: float | None = None
    target_rss_bytes: int | None = None
    kind: str = "process"
    frames: int | None = None
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    opt_in: bool = False  # runs only when --case names it (minutes long)


def _process(argv: list[str], env: dict[str, str] | None = None) -> Sample:
    """Run argv as a child; its wall time, peak RSS and (run_case.py) event count."""
    started = time.perf_counter()
    child = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"{' '.join(argv)} exited {child.returncode}:\n{stderr[-2000:]}")
    sample = Sample(seconds, rss_bytes=usage.ru_maxrss * 1024)  # Linux: KiB
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    if last.startswith("{"):
        cost = json.loads(last)
        sample.events, sample.run_s = cost["events"], cost["run_s"]
        sample.simulated_ps = cost["simulated_ps"]
        # the run's helper processes work beside it: count the largest one's peak too
        sample.rss_bytes += cost.get("helpers_rss_kib", 0) * 1024
    return sample


def _in_process(fn: Callable[[], int | None]) -> Sample:
    started = time.perf_counter()
    events = fn()
    seconds = time.perf_counter() - started
    return Sample(seconds, events=events, run_s=seconds)


def _env(cache_dir: Path) -> dict[str, str]:
    return {**os.environ, "FLEXSOC_CACHE_DIR": str(cache_dir)}


def _sets(overrides: list[str]) -> list[str]:
    return [arg for item in overrides for arg in ("--set", item)]


def _real_bitmaps(path: Path) -> Path:
    """An .npz of int8 ResNet-50 tensors, half of each zero at random: every layer's
    IF (C x H x W) and FL (K x C/groups x R x S), as `workload.sparsity.arrays` takes."""
    rng = np.random.default_rng(2024)
    arrays = {}
    for layer in load_workload(load_scenario(ROOT / "scenarios" / "resnet50_sparse.yaml").workload):
        shapes = {
            "IF": (layer.c, layer.h, layer.w),
            "FL": (layer.k, layer.c_per_group, layer.r, layer.s),
        }
        for kind, shape in shapes.items():
            values = rng.integers(1, 128, size=shape, dtype=np.int8)
            values[rng.random(shape) < 0.5] = 0
            arrays[f"{layer.name}.{kind}"] = values
    np.savez(path, **arrays)
    return path


def _sparse_latencies() -> Sample:
    """Masks and per-round sparse cycles of every ResNet-50 layer under its mapped
    descriptor (50 % / 50 % uniform); the mapping is not timed."""
    resnet50 = ScenarioConfig(name="map", workload=WorkloadConfig(model="zoo:resnet50"))
    mapped = map_workload(resnet50)
    started = time.perf_counter()
    for m in mapped.layers:
        tensors = synthetic_tensors(m.layer, 0.5, 0.5, "uniform", seed=1)
        sparse_rounds(m.layer, m.best.descriptor, tensors)
    return Sample(time.perf_counter() - started)


def _random_reads(count: int) -> int:
    """`count` random 128 B reads over 8 GiB, all offered at cycle 0; events processed."""
    env = simpy.Environment()
    dram = BankedDram(env, "dram", DramConfig(fidelity="banked", size_bytes=2**33), NullRecorder())
    elaborate([dram])
    rng = np.random.default_rng(12345)
    for addr in rng.integers(0, 2**33 // 128, size=count) * 128:
        env.process(dram.transact(MemRequest(int(addr), 128, False, "stream")))
    env.run()
    return next(env._eid) - len(env._queue)


def _bare_simpy(processes: int = 4, iterations: int = 50_000) -> tuple[int, float]:
    """Bare SimPy: processes that request a shared resource, hold it for a timeout and
    release it, over and over. Events processed and seconds."""
    env = simpy.Environment()
    resource = simpy.Resource(env, capacity=2)

    def loop():
        for _ in range(iterations):
            request = resource.request()
            yield request
            yield env.timeout(1)
            resource.release(request)

    for _ in range(processes):
        env.process(loop())
    started = time.perf_counter()
    env.run()
    return next(env._eid) - len(env._queue), time.perf_counter() - started


def _memory_bound(config) -> tuple[int, float]:
    """scenarios/dram_contention.yaml without trace files: events processed and seconds."""
    started = time.perf_counter()
    system, _, _ = simulate(config, [])
    return events_processed(system), time.perf_counter() - started


def kernel_efficiency(repeat: int) -> dict[str, object]:
    """Events/s of the memory-bound scenario over bare SimPy's, medians, one process."""
    config = load_scenario(ROOT / "scenarios" / "dram_contention.yaml")
    simulate(config, [])  # warm: imports, mapping cache
    bare, scenario = [], []
    for _ in range(repeat):
        events, seconds = _bare_simpy()
        bare.append(events / seconds)
        events, seconds = _memory_bound(config)
        scenario.append(events / seconds)
    return {
        "scenario_events": events,
        "scenario_events_per_s": statistics.median(scenario),
        "bare_simpy_events_per_s": statistics.median(bare),
        "ratio": statistics.median(scenario) / statistics.median(bare),
    }


SWEEP_POINTS = 8
SWEEP_FILE = """\
# 8 equal points: dram_contention with the classifier cut to 4096 x 2048, seeds 1..8
base: {base}
set:
  - workload.layers[1].k=2048
  - run.chrome_trace=false
  - run.perfetto_trace=false
axes:
  - path: seed
    values: {seeds}
"""


def sweep_efficiency(tmp: Path) -> dict[str, object]:
    """`soc sweep` of 8 equal points with --workers 1 and --workers 2, each timed as a
    process into a new folder: parallel efficiency = t(1) / (2 x t(2))."""
    spec = tmp / "sweep_efficiency.yaml"
    base = ROOT / "scenarios" / "dram_contention.yaml"
    seeds = list(range(1, SWEEP_POINTS + 1))
    spec.write_text(SWEEP_FILE.format(base=base, seeds=seeds))
    warm = [SOC, "validate", str(base), "--set", "workload.layers[1].k=2048"]
    _process(warm)  # the mapping cache (FLEXSOC_CACHE_DIR) is warm for both
    seconds = {}
    for workers in (1, 2):
        out = tmp / f"sweep_w{workers}"
        argv = [SOC, "sweep", str(spec), "--out", str(out), "--workers", str(workers)]
        seconds[workers] = _process(argv).seconds
        print(f"  --workers {workers}: {seconds[workers]:.2f} s", flush=True)
    return {
        "points": SWEEP_POINTS,
        "workers_1_s": seconds[1],
        "workers_2_s": seconds[2],
        "ratio": seconds[1] / (2 * seconds[2]),
    }


def cases(tmp: Path, quick: bool) -> list[Case]:
    """Every benchmark case, in the order they run."""
    warm = tmp / "cache"

    def run(name: str, scenario: str, overrides: list[str] = (), **kw) -> Case:
        argv = [PYTHON, str(BENCH / "run_case.py"), scenario, "--out", str(tmp / "run")]
        argv += _sets(list(overrides))
        return Case(name, lambda: _process(argv, _env(warm)), **kw)

    def cold_map(name: str, workload: str, **kw) -> Case:
        def once() -> Sample:
            cold = Path(tempfile.mkdtemp(dir=tmp))
            return _process([SOC, "map", workload], _env(cold))

        return Case(name, once, **kw)

    def warm_map(name: str, workload: str, **kw) -> Case:
        return Case(name, lambda: _process([SOC, "map", workload], _env(warm)), **kw)

    r50 = "bench/resnet50_camera.yaml"
    mnv2 = "bench/mobilenetv2.yaml"
    quickstart = load_scenario(ROOT / "scenarios" / "quickstart.yaml")
    layer_only = quickstart.model_copy(
        update={"run": quickstart.run.model_copy(update={"trace_level": "layer"})}
    )
    bitmaps = tmp / "resnet50_real_50pct.npz"
    all_cases = [
        run("quickstart, full outputs", "scenarios/quickstart.yaml", target_s=10.0),
        Case(
            "quickstart, no trace files",
            lambda: _in_process(lambda: events_processed(simulate(quickstart, [])[0])),
            kind="in-process",
        ),
        Case(
            "quickstart, layer-level trace",
            lambda: _in_process(lambda: events_processed(simulate(layer_only, [])[0])),
            kind="in-process",
        ),
        run(
            "resnet50 dense, camera+display, fluid",
            r50,
            target_s=5.0,
            target_rss_bytes=GIB,
            frames=1,
        ),
        run(
            "resnet50 dense, camera+display, banked LPDDR4-3200",
            r50,
            BANKED,
            target_s=10.0,
            target_rss_bytes=GIB,
            frames=1,
        ),
        run(
            "resnet50 dense, camera+display, fluid, round_batch 8",
            r50,
            ["soc.flexnn.round_batch=8"],
            frames=1,
            note="a trade: 8 rounds per engine step (totals exact, less overlap)",
        ),
        run(
            "resnet50 dense, camera+display, fluid, every trade",
            r50,
            EVERY_TRADE,
            frames=1,
            note="4 KiB DMA requests, round_batch 8, line-grain camera and display, layer trace",
        ),
        run("resnet50_sparse.yaml (50 %/50 %, layer trace)", "scenarios/resnet50_sparse.yaml"),
        run(
            "resnet50 sparse, real 50 %/50 % bitmaps",
            "scenarios/resnet50_sparse.yaml",
            [f"workload.sparsity.arrays={bitmaps}"],
            target_s=10.0,
        ),
        cold_map("soc map resnet50, cold cache", "resnet50", target_s=2.0),
        warm_map("soc map resnet50, warm cache", "resnet50", target_s=0.3),
        cold_map("soc map mobilenetv2, cold cache", mnv2),
        warm_map("soc map mobilenetv2, warm cache", mnv2),
        Case(
            "sparse latencies resnet50",
            _sparse_latencies,
            target_s=20.0,
            kind="in-process",
            note="ResNet-50 on the default SoC, mapped beforehand (untimed)",
        ),
        Case(
            "banked DRAM, 20k random reads",
            lambda: _in_process(lambda: _random_reads(20_000)),
            target_s=10.0,
            kind="in-process",
        ),
        Case(
            "native trace, 5 M synthetic events",
            lambda: _process([PYTHON, str(BENCH / "trace_feed.py"), "--out", str(tmp / "feed")]),
            target_rss_bytes=GIB,
            note="Parquet tables written in row groups: peak RSS must not grow with events",
        ),
    ]
    for frames in SOAK_FRAMES:
        all_cases.append(
            run(
                f"soak camera+display 30 fps, {frames} frames",
                SOAK,
                [f"driver.frames={frames}"],
                frames=frames,
                note=f"peak RSS: {SOAK_FRAMES[1]} frames within 10 % of {SOAK_FRAMES[0]}",
                opt_in=True,
            )
        )
    trade_frames = MOBILENET_FRAMES * 4
    all_cases.append(
        run(
            f"mobilenetv2 30 fps camera+display, banked, every trade ({trade_frames} frames)",
            mnv2,
            [*EVERY_TRADE, f"driver.frames={trade_frames}"],
            frames=trade_frames,
            note="what the trades buy toward 30 frames: 4 KiB DMA requests, round_batch 8, "
            "layer trace (the camera and display are at line grain already)",
        )
    )
    # the longest last
    for scale in (1, 4) if quick else (1, 4, 16):
        frames = MOBILENET_FRAMES * scale
        all_cases.append(
            run(
                f"mobilenetv2 30 fps camera+display, banked, {scale}x ({frames} frames)",
                mnv2,
                [f"driver.frames={frames}"],
                target_s=2.0 * frames,  # 30 frames <= 60 s
                frames=frames,
                note="target: 2 s a frame (30 frames <= 60 s)",
            )
        )
    return all_cases


def prepare(selected: list[Case], tmp: Path) -> None:
    """Untimed set-up the selected cases need: soc's bytecode (as an installed package
    has it, even where PYTHONDONTWRITEBYTECODE keeps imports from writing it), the real
    bitmaps, a warm mapping cache."""
    names = " ".join(c.name for c in selected)
    compileall.compile_dir(ROOT / "soc", quiet=1)
    if "real" in names:
        print("generating real 50 % bitmaps for ResNet-50 ...", flush=True)
        _real_bitmaps(tmp / "resnet50_real_50pct.npz")
    warmups = []
    if "resnet50" in names:
        warmups += [["bench/resnet50_camera.yaml"], ["bench/resnet50_camera.yaml", *BANKED]]
        warmups += [["scenarios/resnet50_sparse.yaml"], ["resnet50"]]
    if "real" in names:
        arrays = f"workload.sparsity.arrays={tmp / 'resnet50_real_50pct.npz'}"
        warmups.append(["scenarios/resnet50_sparse.yaml", arrays])
    if "mobilenetv2" in names:
        warmups.append(["bench/mobilenetv2.yaml"])
    for workload, *overrides in warmups:
        print(f"warming the mapping cache: {workload} {' '.join(overrides)}", flush=True)
        command = "map" if not workload.endswith(".yaml") else "validate"
        argv = [SOC, command, workload] + (_sets(overrides) if command == "validate" else [])
        _process(argv, _env(tmp / "cache"))
    if "map mobilenetv2, warm" in names:
        _process([SOC, "map", "bench/mobilenetv2.yaml"], _env(tmp / "cache"))


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip()


def measure(case: Case, repeat: int) -> dict[str, object]:
    """Run a case `repeat` times; its record."""
    load_before = os.getloadavg()
    samples = []
    for i in range(repeat):
        print(f"  {case.name}: run {i + 1}/{repeat} ...", end=" ", flush=True)
        samples.append(case.once())
        print(f"{samples[-1].seconds:.2f} s", flush=True)
    seconds = [s.seconds for s in samples]
    median = statistics.median(seconds)
    rss = [s.rss_bytes for s in samples if s.rss_bytes is not None]
    events, simulated_ps = samples[-1].events, samples[-1].simulated_ps
    run_s = [s.run_s for s in samples if s.run_s]
    events_per_s = events / statistics.median(run_s) if events and run_s else None
    missed = []
    if case.target_s is not None and median > case.target_s:
        missed.append("time")
    if case.target_rss_bytes is not None and rss and max(rss) > case.target_rss_bytes:
        missed.append("rss")
    has_target = case.target_s is not None or case.target_rss_bytes is not None
    return {
        "case": case.name,
        "kind": case.kind,
        "repeats": repeat,
        "median_s": round(median, 3),
        "min_s": round(min(seconds), 3),
        "max_s": round(max(seconds), 3),
        "peak_rss_mib": round(max(rss) / 2**20, 1) if rss else None,
        "events": events,
        "events_per_s": round(events_per_s) if events_per_s else None,
        "frames": case.frames,
        "per_frame_s": round(median / case.frames, 3) if case.frames else None,
        "simulated_ms": round(simulated_ps / 1e9, 3) if simulated_ps else None,
        "target_s": case.target_s,
        "target_rss_mib": case.target_rss_bytes // 2**20 if case.target_rss_bytes else None,
        "verdict": ("SLOW " + "+".join(missed) if missed else "ok") if has_target else None,
        "load_avg_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "note": case.note or None,
    }


def _scaling(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """Per-frame wall time of the 4x and 16x MobileNetV2 runs over the 1x run's; and the
    same per simulated millisecond, since the camera and display work through every
    frame period while the run ends when the last frame's inference does (2 frames
    simulate 1.06 periods, 32 frames 31.06)."""
    runs = {r["frames"]: r for r in records if str(r["case"]).startswith("mobilenetv2 30 fps")}
    base = runs.get(MOBILENET_FRAMES)
    out = []
    for frames, record in sorted(runs.items()):
        if base is None or frames == MOBILENET_FRAMES:
            continue
        ratio = record["per_frame_s"] / base["per_frame_s"]
        scale = frames // MOBILENET_FRAMES
        per_ms = None
        if record.get("simulated_ms") and base.get("simulated_ms"):
            per_ms = (record["median_s"] / record["simulated_ms"]) / (
                base["median_s"] / base["simulated_ms"]
            )
        out.append(
            {
                "case": f"mobilenetv2 per-frame wall time, {scale}x / 1x",
                "kind": "derived",
                "ratio": round(ratio, 3),
                "ratio_per_simulated_ms": round(per_ms, 3) if per_ms else None,
                "target_ratio": 1.15 if scale == 16 else None,
                "verdict": ("ok" if ratio <= 1.15 else "SLOW") if scale == 16 else None,
                "note": "no slower per frame than 1x, +15 %",
            }
        )
    return out


def _soak(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """Peak RSS of the long soak run over the short one's: flat within 10 %."""
    runs = {r["frames"]: r for r in records if str(r["case"]).startswith("soak camera")}
    short, long = (runs.get(frames) for frames in SOAK_FRAMES)
    if not short or not long or not short["peak_rss_mib"] or not long["peak_rss_mib"]:
        return []
    ratio = long["peak_rss_mib"] / short["peak_rss_mib"]
    return [
        {
            "case": f"soak peak RSS, {SOAK_FRAMES[1]} / {SOAK_FRAMES[0]} frames",
            "kind": "derived",
            "ratio": round(ratio, 3),
            "peak_rss_mib": [short["peak_rss_mib"], long["peak_rss_mib"]],
            "target_ratio": SOAK_GROWTH,
            "verdict": "ok" if ratio <= SOAK_GROWTH else "GROWS",
            "note": "issue 15: memory flat from 100 to 1,000 frames within 10 %",
        }
    ]


def _line(record: dict[str, object]) -> str:
    if record["kind"] == "derived":
        target = record.get("target_ratio") or record.get("target")
        shown = f"target {target}" if target else ""
        per_ms = record.get("ratio_per_simulated_ms")
        shown += f" (per simulated ms: {per_ms:.3f})" if per_ms else ""
        return f"{record['case']:58} ratio {record['ratio']:.3f}  {shown} {record['verdict'] or ''}"

    def num(key: str, fmt: str) -> str:
        value = record.get(key)
        return format(value, fmt) if value is not None else "-"

    return (
        f"{record['case']:58} {num('median_s', '8.2f')} {num('min_s', '8.2f')} "
        f"{num('max_s', '8.2f')} {num('peak_rss_mib', '8.0f')} {num('events', '>10,')} "
        f"{num('events_per_s', '>9,')} {num('per_frame_s', '7.2f')} "
        f"{num('target_s', '7.1f')} {record['verdict'] or ''}"
    )


HEADER = (
    f"{'case':58} {'median s':>8} {'min s':>8} {'max s':>8} {'RSS MiB':>8} {'events':>10} "
    f"{'events/s':>9} {'s/frame':>7} {'target':>7} verdict"
)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--case", action="append", default=[])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    common = {
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
    }
    records: list[dict[str, object]] = []

    def keep(record: dict[str, object]) -> None:
        """Print a record and append it to results.json at once: a long run that is
        stopped keeps what it measured."""
        records.append(record)
        print(HEADER + "\n" + _line(record), flush=True)
        if not args.no_record:
            history = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
            history.append({**common, **record})
            RESULTS.write_text("[\n" + ",\n".join(json.dumps(r) for r in history) + "\n]\n")

    with tempfile.TemporaryDirectory(prefix="flexsoc-bench-") as name:
        tmp = Path(name)
        os.environ["FLEXSOC_CACHE_DIR"] = str(tmp / "cache")  # in-process cases, children
        wanted = [t.lower() for t in args.case]
        selected = [
            c
            for c in cases(tmp, args.quick)
            if any(t in c.name.lower() for t in wanted) or not (wanted or c.opt_in)
        ]
        prepare(selected, tmp)
        if not wanted or any(t in "kernel efficiency" for t in wanted):
            print("  kernel efficiency ...", flush=True)
            load_before = os.getloadavg()
            kernel = kernel_efficiency(repeat)
            keep(
                {
                    "case": "kernel efficiency (dram_contention.yaml / bare SimPy)",
                    "kind": "derived",
                    "repeats": repeat,
                    **{k: round(v, 3) if isinstance(v, float) else v for k, v in kernel.items()},
                    "target": 0.4,
                    "verdict": "ok" if kernel["ratio"] >= 0.4 else "SLOW",
                    "load_avg_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
                }
            )
        if not wanted or any(t in "sweep parallel efficiency" for t in wanted):
            print("  sweep parallel efficiency ...", flush=True)
            load_before = os.getloadavg()
            sweep = sweep_efficiency(tmp)
            keep(
                {
                    "case": "sweep parallel efficiency (8 points, 2 workers / 1)",
                    "kind": "derived",
                    **{k: round(v, 3) if isinstance(v, float) else v for k, v in sweep.items()},
                    "target": 0.8,
                    "verdict": "ok" if sweep["ratio"] >= 0.8 else "SLOW",
                    "load_avg_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
                }
            )
        for case in selected:
            keep(measure(case, repeat))
        for record in _scaling(records) + _soak(records):
            keep(record)
    print(f"\n{common}\n{HEADER}")
    for record in records:
        print(_line(record))
        if str(record["case"]).startswith("kernel"):
            print(
                f"  scenario {record['scenario_events_per_s']:,.0f} events/s, bare SimPy "
                f"{record['bare_simpy_events_per_s']:,.0f} events/s"
            )
    if not args.no_record:
        print(f"appended {len(records)} records to {RESULTS.relative_to(ROOT)}")
    slow = [r["case"] for r in records if str(r.get("verdict") or "").startswith(("SLOW", "GROWS"))]
    return 1 if args.strict and slow else 0


if __name__ == "__main__":
    sys.exit(main())
