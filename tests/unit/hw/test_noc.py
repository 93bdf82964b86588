"""Crossbar: idle-path latency, link contention between flows, address decoding."""

import math
from types import SimpleNamespace

import pytest

from soc.config import NocConfig
from soc.errors import WiringError
from soc.hw import Crossbar
from soc.kernel import Action, MemRequest, NullRecorder, elaborate

# 1 GHz: one cycle is 1000 ps; links move 32 B per cycle; 2-cycle router.
PERIOD_PS = 1000
CFG = NocConfig(freq_hz=1_000_000_000, link_width_bytes=32, router_latency_cycles=2)
ROUTER_PS = 2 * PERIOD_PS
TARGET_PS = 5_000  # the stub target's own time
T0, T1 = 0x0, 0x10000  # base addresses of targets t0 and t1 (64 KiB each)


def ser_ps(size_bytes: int) -> int:
    return math.ceil(size_bytes / 32) * PERIOD_PS


@pytest.fixture
def noc(env, recorder, fixed_target) -> SimpleNamespace:
    """A crossbar with masters m0, m1 and two stub targets t0, t1."""
    xbar = Crossbar(env, "noc", CFG, recorder)
    targets = {"t0": fixed_target(TARGET_PS), "t1": fixed_target(TARGET_PS)}
    xbar.target_port("t0", T0, 0x10000).bind(targets["t0"])
    xbar.target_port("t1", T1, 0x10000).bind(targets["t1"])
    masters = {name: xbar.initiator(name) for name in ("m0", "m1")}
    elaborate([xbar])
    return SimpleNamespace(masters=masters, targets=targets)


def _req(noc, master, addr, size, write):
    return noc.masters[master].transact(MemRequest(addr, size, write, master))


@pytest.mark.parametrize("write", [True, False])
def test_idle_path_latency(noc, finish_times, write):
    ends = finish_times({"a": _req(noc, "m0", T0, 1024, write)})
    # 2 x router + ceil(1024 / 32) cycles of serialisation + the target's time
    assert ends == {"a": 2 * ROUTER_PS + ser_ps(1024) + TARGET_PS}
    assert ends == {"a": 41_000}


def test_partial_last_beat_costs_a_whole_cycle(noc, finish_times):
    ends = finish_times({"a": _req(noc, "m0", T0, 100, True)})
    assert ends == {"a": 2 * ROUTER_PS + math.ceil(100 / 32) * PERIOD_PS + TARGET_PS}


def test_two_writers_share_the_target_down_link(noc, finish_times):
    ends = finish_times(
        {"a": _req(noc, "m0", T0, 1024, True), "b": _req(noc, "m1", T0 + 4096, 1024, True)}
    )
    # write data crosses first: b's data waits for a's serialisation on t0's down-link
    first = ser_ps(1024) + 2 * ROUTER_PS + TARGET_PS
    assert ends == {"a": first, "b": first + ser_ps(1024)}
    assert noc.targets["t0"].arrivals == [
        ("m0", ser_ps(1024) + ROUTER_PS),
        ("m1", 2 * ser_ps(1024) + ROUTER_PS),
    ]


def test_two_readers_share_the_target_up_link(noc, finish_times):
    ends = finish_times(
        {"a": _req(noc, "m0", T0, 1024, False), "b": _req(noc, "m1", T0 + 4096, 1024, False)}
    )
    # both commands reach t0 after one router and are served in parallel; the responses
    # leave on t0's single up-link one after the other
    first = ROUTER_PS + TARGET_PS + ser_ps(1024) + ROUTER_PS
    assert ends == {"a": first, "b": first + ser_ps(1024)}
    assert noc.targets["t0"].arrivals == [("m0", ROUTER_PS), ("m1", ROUTER_PS)]


def test_one_writer_to_two_targets_shares_its_up_link(noc, finish_times):
    ends = finish_times({"a": _req(noc, "m0", T0, 512, True), "b": _req(noc, "m0", T1, 512, True)})
    first = ser_ps(512) + 2 * ROUTER_PS + TARGET_PS
    assert ends == {"a": first, "b": first + ser_ps(512)}


def test_flows_to_different_targets_do_not_contend(noc, finish_times, recorder):
    ends = finish_times(
        {"a": _req(noc, "m0", T0, 1024, True), "b": _req(noc, "m1", T1, 1024, False)}
    )
    idle = 2 * ROUTER_PS + ser_ps(1024) + TARGET_PS
    assert ends == {"a": idle, "b": idle}
    assert recorder.total(Action.NOC_BYTE_HOP, "m0") == 1024
    assert recorder.total(Action.NOC_BYTE_HOP, "m1") == 1024


def test_request_outside_every_target_is_rejected(env, noc):
    # starts in t1 but runs past its end: no single target serves it
    env.process(_req(noc, "m0", T1 + 0x10000 - 16, 32, False))
    with pytest.raises(ValueError, match="no target serves"):
        env.run()


def test_overlapping_targets_and_duplicate_endpoints_are_wiring_errors(env):
    xbar = Crossbar(env, "noc", CFG, NullRecorder())
    xbar.target_port("a", 0x0, 0x1000)
    with pytest.raises(WiringError, match="b overlaps a"):
        xbar.target_port("b", 0xFFF, 0x10)
    with pytest.raises(WiringError, match="declared twice"):
        xbar.initiator("a")
