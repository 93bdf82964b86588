"""The plausibility estimate (soc.plan.estimate): frame-time terms worked out by hand,
the issue's implausible settings each found under the key to change, and the event
estimate against events counted in real runs."""

import math
from pathlib import Path

import pytest

from soc.config import SocConfig, load_scenario
from soc.plan.estimate import (
    MAX_BINS,
    FrameWork,
    check,
    estimate,
    frame_time,
    frame_work,
)
from soc.plan.pipelines import plan_scenario
from soc.runner import simulate
from soc.runner.run import events_processed

ROOT = Path(__file__).resolve().parents[3]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
SOAK = ROOT / "scenarios" / "soak_camera.yaml"

NOTHING = FrameWork(
    host_cycles=0,
    host_bytes=0,
    host_requests=0,
    engine_cycles=0,
    sram_bytes=0,
    dma_bytes=0,
    dma_requests=0,
    transfers=0,
    rows=0,
    layers=0,
    registers=0,
)


def _work(**fields) -> FrameWork:
    return FrameWork(**{**NOTHING.__dict__, **fields})


def test_host_cycles_at_the_cpu_clock():
    soc = SocConfig.model_validate({"cpu": {"freq_hz": "1 kHz"}})
    took, largest = frame_time(_work(host_cycles=1000), soc)
    assert took == pytest.approx(1e12)  # 1000 cycles at 1 kHz: one second
    assert largest.key == "soc.cpu.freq_hz" and largest.value == "1 kHz"


def test_the_slowest_link_bounds_the_transfers():
    """1 MiB over 32 B links at 1 MHz (32 MB/s): 32.768 ms; the DRAM (12.8 GB/s) and its
    latency are far quicker, so they do not add."""
    soc = SocConfig.model_validate(
        {"noc": {"freq_hz": "1 MHz", "link_width_bytes": 32}, "dram": {"latency_ps": 0}}
    )
    took, largest = frame_time(_work(dma_bytes=2**20), soc)
    assert took == pytest.approx(2**20 / 32e6 * 1e12)
    assert largest.key == "soc.noc.freq_hz"


def test_launches_add_their_interrupts():
    soc = SocConfig.model_validate({"cpu": {"irq_latency_ps": "1 s"}})
    took, largest = frame_time(_work(layers=3), soc)
    assert took == pytest.approx(3e12)
    assert largest.key == "soc.cpu.irq_latency_ps"


def test_banked_bandwidth_less_refresh():
    """LPDDR4 defaults: x64 bus (8 B) x BL16 = 128 B a burst every 8 cycles at 1.2 GHz
    = 19.2 GB/s, of which refresh (tRFC 392 cycles every tREFI 8660) takes 4.5 %."""
    soc = SocConfig.model_validate({"dram": {"fidelity": "banked"}})
    took, _ = frame_time(_work(dma_bytes=19.2e6), soc)  # 1 ms at the peak
    assert took == pytest.approx(1e9 / (1 - 392 / 8660))
    always = SocConfig.model_validate(
        {"dram": {"fidelity": "banked", "banked": {"cycles": {"trefi": 1}}}}
    )
    took, largest = frame_time(_work(dma_bytes=1), always)
    assert math.isinf(took) and largest.key == "soc.dram.banked.cycles.trefi"


def test_frame_work_moves_every_tensor_at_least_once():
    """An fc layer of 64 inputs and 32 outputs (INT8): its DMA moves at least the 2048 B
    of weights, 64 B of input and 32 B of output, in requests of at most 1 KiB."""
    config = load_scenario(
        QUICKSTART,
        ["workload={layers: [{name: fc, op: fc, c: 64, k: 32}]}"],
    )
    (program,) = plan_scenario(config).programs
    work = frame_work(program, config.soc)
    assert work.layers == 1 and work.rows >= 1
    assert work.dma_bytes >= 2048 + 64 + 32
    assert work.dma_requests >= work.dma_bytes / 1024


def _findings(*overrides: str) -> list:
    config = load_scenario(QUICKSTART, list(overrides))
    return check(config, plan_scenario(config))


def test_the_quickstart_is_plausible():
    assert check(load_scenario(QUICKSTART)) == []  # the plan compiled by check itself


@pytest.mark.parametrize(
    ("override", "key", "shown"),
    [
        ("soc.cpu.freq_hz=1 Hz", "soc.cpu.freq_hz", "1 Hz"),
        ("soc.noc.freq_hz=1 Hz", "soc.noc.freq_hz", "1 Hz"),
        ("run.timeline_window_ps=1 ps", "run.timeline_window_ps", "1 ps"),
        ("driver.frames=100000", "driver.frames", "100000"),
        (
            "soc.dram.regulators={dma: {rate_bytes_per_s: 1 B/s}}",
            "soc.dram.regulators.dma.rate_bytes_per_s",
            "1 B/s",
        ),
        ("soc.dram.banked.cycles.trefi=1", "soc.dram.banked.cycles.trefi", "1"),
    ],
)
def test_implausible_settings_name_their_key(override: str, key: str, shown: str):
    """The issue's examples: each is found, first, under the key to change, with the
    value as set and an estimate; one line."""
    found = _findings("soc.dram.fidelity=banked", override)
    assert found, override
    first = str(found[0])
    assert found[0].key == key and first.startswith(f"{key}: {shown} ")
    assert "\n" not in first


def test_timeline_windows_counted_over_the_span():
    """Quickstart: 2 frames at 240 fps end one period (4.17 ms) and a frame after the
    first starts: at 1 ps windows, over 4e9 windows."""
    config = load_scenario(QUICKSTART, ["run.timeline_window_ps=1 ps"])
    cost = estimate(config, plan_scenario(config))
    period = 1e12 / 240
    assert period < cost.span_ps < 2 * period
    assert cost.bins == pytest.approx(cost.span_ps) and cost.bins > 4000 * MAX_BINS


@pytest.mark.parametrize(
    ("scenario", "overrides"),
    [(QUICKSTART, []), (SOAK, ["driver.frames=2"])],
    ids=["quickstart", "soak_camera"],
)
def test_events_estimate_against_a_real_run(scenario: Path, overrides: list[str]):
    """The estimate is an upper bound within a factor of 2 of the SimPy events a run
    processes: the quickstart (engine and DMA) and a camera and display beside a small
    network (the masters' requests)."""
    config = load_scenario(scenario, overrides)
    config = config.model_copy(update={"run": config.run.model_copy(update={"plots": False})})
    cost = estimate(config, plan_scenario(config))
    system, _, _ = simulate(config, [])
    events = events_processed(system)
    assert events <= cost.total_events <= 2 * events
    assert cost.span_ps == pytest.approx(system.env.now, rel=0.1)
