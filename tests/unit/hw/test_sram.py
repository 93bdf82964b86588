"""SramBanks: per-bank byte split, bank timing, conflicts between masters."""

import math

import numpy as np
import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st

from soc.config import SramConfig
from soc.hw import SramBanks, bank_bytes
from soc.kernel import Action, MemRequest, NullRecorder, elaborate

# 1 GHz: one cycle is 1000 ps. 4 banks of 16 B/cycle, interleaved every 64 B.
PERIOD_PS = 1000
CFG = SramConfig(
    base_addr=0x1000,
    size_bytes=4096,
    banks=4,
    bank_width_bytes=16,
    interleave_bytes=64,
    latency_cycles=2,
    freq_hz=1_000_000_000,
)
LATENCY_PS = CFG.latency_cycles * PERIOD_PS


# -- bank_bytes (pure) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "size", "expected"),
    [
        # aligned, two granules per bank: 128 B / 4 banks
        (0, 512, [128, 128, 128, 128]),
        # [135, 140) lies inside granule 2 = [128, 192) -> bank 2
        (135, 5, [0, 0, 5, 0]),
        # [8, 248): g0 gets 56 B (bank 0), g1..g2 64 B, g3 [192, 248) 56 B (bank 3)
        (8, 240, [56, 64, 64, 56]),
        # [80, 400): g1 [80, 128) 48 B, g2 64, g3 64, g4 (bank 0) 64, g5 (bank 1) 64,
        # g6 (bank 2) [384, 400) 16 B
        (80, 320, [64, 48 + 64, 64 + 16, 64]),
        # [200, 210): in granule 3 only
        (200, 10, [0, 0, 0, 10]),
    ],
)
def test_bank_bytes_hand_computed(offset, size, expected):
    got = bank_bytes(offset, size, banks=4, interleave_bytes=64)
    assert got.tolist() == expected


@given(
    offset=st.integers(0, 4096),
    size=st.integers(1, 2048),
    banks=st.integers(1, 16),
    interleave=st.sampled_from([1, 4, 16, 64, 100]),
)
def test_bank_bytes_conserve_bytes_and_match_bytewise_reference(offset, size, banks, interleave):
    got = bank_bytes(offset, size, banks, interleave)
    assert got.min() >= 0
    assert int(got.sum()) == size
    # independent reference: assign every byte to its bank one at a time
    addrs = np.arange(offset, offset + size)
    reference = np.bincount((addrs // interleave) % banks, minlength=banks)
    assert got.tolist() == reference.tolist()


# -- timing and conflicts ------------------------------------------------------------------


def _sram(env, recorder):
    sram = SramBanks(env, "sram", CFG, recorder)
    elaborate([sram])
    return sram


def test_idle_access_takes_beats_plus_latency(env, recorder, finish_times):
    sram = _sram(env, recorder)
    # 256 B at offset 0: 64 B in each bank -> ceil(64 / 16) = 4 beats, all banks in parallel
    req = MemRequest(CFG.base_addr, 256, False, "a")
    ends = finish_times({"a": sram.transact(req)})
    assert ends == {"a": math.ceil(64 / 16) * PERIOD_PS + LATENCY_PS}
    assert recorder.total(Action.SRAM_READ_BYTE, "a") == 256
    assert recorder.total(Action.SRAM_BANK_CONFLICT) == 0


def test_two_masters_same_bank_conflict(env, recorder, finish_times):
    sram = _sram(env, recorder)
    # offsets 0 and 256 are granules 0 and 4: both bank 0; 64 B each = 4 beats
    service_ps = math.ceil(64 / CFG.bank_width_bytes) * PERIOD_PS
    ends = finish_times(
        {
            "a": sram.transact(MemRequest(CFG.base_addr, 64, True, "a")),
            "b": sram.transact(MemRequest(CFG.base_addr + 256, 64, False, "b")),
        }
    )
    assert ends == {"a": service_ps + LATENCY_PS, "b": 2 * service_ps + LATENCY_PS}
    # b waited one service: one conflict of 4 cycles, charged to b only
    assert recorder.total(Action.SRAM_BANK_CONFLICT, "b") == 1
    assert recorder.total(Action.SRAM_CONFLICT_CYCLE, "b") == service_ps // PERIOD_PS
    assert recorder.total(Action.SRAM_BANK_CONFLICT, "a") == 0
    # the trace's running total of conflicts
    assert [c for c in recorder.counters if c[2] == "bank conflicts"] == [
        (0, "sram", "bank conflicts", 1)
    ]
    assert recorder.total(Action.SRAM_WRITE_BYTE, "a") == 64
    assert recorder.total(Action.SRAM_READ_BYTE, "b") == 64


def test_two_masters_different_banks_do_not_conflict(env, recorder, finish_times):
    sram = _sram(env, recorder)
    # offsets 0 and 64 are granules 0 and 1: banks 0 and 1, served in parallel
    service_ps = math.ceil(64 / CFG.bank_width_bytes) * PERIOD_PS
    ends = finish_times(
        {
            "a": sram.transact(MemRequest(CFG.base_addr, 64, True, "a")),
            "b": sram.transact(MemRequest(CFG.base_addr + 64, 64, True, "b")),
        }
    )
    assert ends == {"a": service_ps + LATENCY_PS, "b": service_ps + LATENCY_PS}
    assert recorder.total(Action.SRAM_BANK_CONFLICT) == 0
    assert recorder.total(Action.SRAM_CONFLICT_CYCLE) == 0


def test_partial_overlap_waits_only_for_the_busy_bank(env, recorder, finish_times):
    sram = _sram(env, recorder)
    # a: [0, 128) = banks 0, 1, 4 beats each. b: [64, 320) = banks 1, 2, 3, 0 (64 B each);
    # bank 1 is busy until 4 beats, bank 0 too; b's banks 0 and 1 end at 8 beats.
    beat4 = math.ceil(64 / 16) * PERIOD_PS
    ends = finish_times(
        {
            "a": sram.transact(MemRequest(CFG.base_addr, 128, True, "a")),
            "b": sram.transact(MemRequest(CFG.base_addr + 64, 256, True, "b")),
        }
    )
    assert ends == {"a": beat4 + LATENCY_PS, "b": 2 * beat4 + LATENCY_PS}
    assert recorder.total(Action.SRAM_CONFLICT_CYCLE, "b") == beat4 // PERIOD_PS


def test_access_outside_the_sram_is_rejected(env, recorder):
    sram = _sram(env, recorder)
    req = MemRequest(CFG.base_addr + CFG.size_bytes - 32, 64, False, "a")
    env.process(sram.transact(req))
    with pytest.raises(ValueError, match="outside sram"):
        env.run()


@given(
    accesses=st.lists(
        st.tuples(st.integers(0, 4095), st.integers(1, 1024), st.integers(0, 5)), max_size=12
    ),
    interleave=st.sampled_from([16, 64, 100]),
)
def test_bank_reservations_match_a_reference_built_on_bank_bytes(accesses, interleave):
    """access_end_ps reserves exactly the bytes `bank_bytes` gives each bank: replay a
    sequence of accesses (some at the same time) against a numpy reference."""
    env = simpy.Environment()
    cfg = CFG.model_copy(update={"interleave_bytes": interleave})
    sram = SramBanks(env, "sram", cfg, NullRecorder())
    free = np.zeros(cfg.banks, dtype=np.int64)
    for offset, size, gap_cycles in accesses:
        size = min(size, cfg.size_bytes - offset)
        env.run(until=env.now + gap_cycles * PERIOD_PS + 1)
        per_bank = bank_bytes(offset, size, cfg.banks, cfg.interleave_bytes)
        touched = np.nonzero(per_bank)[0]
        now = sram.clock.edge_at_or_after(env.now)
        start = np.maximum(free[touched], now)
        end = start + -(-per_bank[touched] // cfg.bank_width_bytes)
        free[touched] = end
        expected = (sram.clock.ps(int(end.max()) + cfg.latency_cycles), int((start - now).max()))
        req = MemRequest(cfg.base_addr + offset, size, False, "a")
        assert sram.access_end_ps(req) == expected


@given(
    accesses=st.lists(
        st.tuples(
            st.integers(0, 15),  # offset in granules
            st.sampled_from([64, 256, 512, 768, 1024, 200]),
            st.sampled_from([0, 0, 1, 3, 40]),  # gap in cycles; 0: same time
        ),
        max_size=30,
    )
)
def test_runs_over_every_bank_match_the_reference(accesses):
    """Accesses over every bank, back to back, at the same time and after idle gaps (the
    reservations that skip the loop over banks), mixed with accesses over some banks:
    completion, conflict cycles and every bank's free cycle as a per-bank reference."""
    env = simpy.Environment()
    sram = SramBanks(env, "sram", CFG, NullRecorder())
    free = np.zeros(CFG.banks, dtype=np.int64)
    for granule, size, gap_cycles in accesses:
        offset = granule * CFG.interleave_bytes
        size = min(size, CFG.size_bytes - offset)
        env.run(until=env.now + gap_cycles * PERIOD_PS + 1)
        per_bank = bank_bytes(offset, size, CFG.banks, CFG.interleave_bytes)
        touched = np.nonzero(per_bank)[0]
        now = sram.clock.edge_at_or_after(env.now)
        start = np.maximum(free[touched], now)
        end = start + -(-per_bank[touched] // CFG.bank_width_bytes)
        free[touched] = end
        expected = (sram.clock.ps(int(end.max()) + CFG.latency_cycles), int((start - now).max()))
        req = MemRequest(CFG.base_addr + offset, size, False, "a")
        assert sram.access_end_ps(req) == expected
        assert sram.free_cycles == free.tolist()
