"""`bank_order`: which bank's command goes first among those ready at the same cycle,
by hand (LPDDR4-2400 x64 defaults: tRCD 15, CL 17, tRRD 8, BL16 = 8 cycles of data;
map row|rank|bank|bankgroup|column, so address k x 16 KiB is bank k of bank group 0)."""

import pytest
import simpy
from pydantic import ValidationError

from soc.config import DramConfig
from soc.hw.banked_dram import BankedDram
from soc.kernel import ClockDomain, MemRequest, NullRecorder, elaborate

SIZE = 8192 * 2**20
BANK = 2 * 64 * 128  # bank 1 of bank group 0 (bank groups sit just above the column)


def completions(bank_order: str, banks: list[int], at: list[int] | None = None) -> list[int]:
    """Reads of one burst to `banks` (all closed), offered in this order at cycle 0 (or
    at the cycles `at`): the cycle each completes."""
    config = DramConfig(fidelity="banked", size_bytes=SIZE, banked={"bank_order": bank_order})
    clock = ClockDomain(config.banked.freq_hz)
    env = simpy.Environment()
    dram = BankedDram(env, "dram", config, NullRecorder())
    elaborate([dram])
    done = {}

    def read(i, bank):
        yield env.timeout(clock.ps(at[i] if at else 0))
        yield from dram.transact(MemRequest(bank * BANK, 128, False, "m"))
        done[i] = round(clock.cycles(env.now))

    for i, bank in enumerate(banks):
        env.process(read(i, bank))
    env.run()
    return [done[i] for i in range(len(banks))]


def test_oldest_opens_the_banks_in_arrival_order_and_rotating_from_bank_0():
    # every ACT is ready at cycle 0; tRRD spaces them 8 cycles apart (0, 8, 16), each
    # read's data comes tRCD + CL = 32 cycles after its ACT, for 8 cycles: 40, 48, 56
    # (the CAS at 15, 23, 31 never wait for the bus: each burst ends as the next starts)
    # oldest: the order the reads came in (banks 2, 0, 1)
    assert completions("oldest", [2, 0, 1]) == [40, 48, 56]
    # rotating: bank 0 first (none issued yet), then the bank after the last to issue
    assert completions("rotating", [2, 0, 1]) == [56, 40, 48]


def test_rotating_continues_after_the_bank_that_issued_last():
    # bank 1 opens at 0 (data at 40); reads to banks 0 and 2 arrive at cycle 1, their
    # ACTs both ready at tRRD = 8: the older (bank 0) goes first under oldest, the one
    # after bank 1 (bank 2) under rotating; the other opens at 16, its data at 56
    assert completions("oldest", [1, 0, 2], at=[0, 1, 1]) == [40, 48, 56]
    assert completions("rotating", [1, 0, 2], at=[0, 1, 1]) == [40, 56, 48]


def test_rotating_needs_the_frfcfs_scheduler():
    with pytest.raises(ValidationError, match="bank_order 'rotating' needs scheduler 'frfcfs'"):
        DramConfig(fidelity="banked", banked={"bank_order": "rotating", "scheduler": "fcfs"})
