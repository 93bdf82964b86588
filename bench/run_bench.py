"""Simulation speed benchmarks: wall time of whole runs, after set-up.

Usage: make bench   (or .venv/bin/python bench/run_bench.py [--repeat N])

Targets: the quickstart scenario simulates in under 10 s; `soc map resnet50` (all
conv and FC layers against the fixed dataflows) finishes in under 60 s on one core; the
sparse per-round latencies of every ResNet-50 layer (50 % / 50 % uniform masks, their
generation included) take under 20 s; the banked DRAM serves 20,000 random 128 B
reads, all offered at once (DRAMsim3's `rand_read` stream, shortened), in under 10 s.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import simpy
import structlog

from soc.config import DramConfig, ScenarioConfig, WorkloadConfig, load_scenario
from soc.flexnn.sparsity import sparse_rounds
from soc.hw import BankedDram
from soc.kernel import MemRequest, NullRecorder, elaborate
from soc.runner import map_workload, run_scenario, simulate
from soc.workloads.tensors import synthetic_tensors

ROOT = Path(__file__).resolve().parents[1]
TARGETS_S = {
    "quickstart, full outputs": 10.0,
    "map resnet50 (edp)": 60.0,
    "sparse latencies resnet50": 20.0,
    "banked DRAM, 20k random reads": 10.0,
}


def _time(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _sparse_latencies(mapped) -> None:
    """Masks and per-round sparse cycles of every layer under its mapped descriptor."""
    for m in mapped.layers:
        tensors = synthetic_tensors(m.layer, 0.5, 0.5, "uniform", seed=1)
        sparse_rounds(m.layer, m.best.descriptor, tensors)


def _random_reads(count: int) -> None:
    """`count` random 128 B reads over 8 GiB, all offered at cycle 0."""
    env = simpy.Environment()
    dram = BankedDram(env, "dram", DramConfig(fidelity="banked", size_bytes=2**33), NullRecorder())
    elaborate([dram])
    rng = np.random.default_rng(12345)
    for addr in rng.integers(0, 2**33 // 128, size=count) * 128:
        env.process(dram.transact(MemRequest(int(addr), 128, False, "stream")))
    env.run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    config = load_scenario(ROOT / "scenarios" / "quickstart.yaml")
    layer_only = config.model_copy(
        update={"run": config.run.model_copy(update={"trace_level": "layer"})}
    )
    resnet50 = ScenarioConfig(name="map", workload=WorkloadConfig(model="zoo:resnet50"))
    mapped = map_workload(resnet50)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "quickstart, full outputs": lambda: run_scenario(
                config, Path(tmp) / "q", overwrite=True
            ),
            "quickstart, no trace files": lambda: simulate(config, []),
            "quickstart, layer-level trace": lambda: simulate(layer_only, []),
            "map resnet50 (edp)": lambda: map_workload(resnet50),
            "sparse latencies resnet50": lambda: _sparse_latencies(mapped),
            "banked DRAM, 20k random reads": lambda: _random_reads(20_000),
        }
        print(f"{'case':34} {'median s':>9} {'target s':>9}")
        for name, fn in cases.items():
            seconds = _time(fn, 1 if name.startswith("map") else args.repeat)
            target = TARGETS_S.get(name)
            verdict = "" if target is None else ("ok" if seconds <= target else "SLOW")
            failures += verdict == "SLOW"
            shown = "" if target is None else f"{target:.1f}"
            print(f"{name:34} {seconds:9.3f} {shown:>9} {verdict}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
