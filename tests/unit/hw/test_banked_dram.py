"""Banked DRAM timing by hand (DRAM clock 1.2 GHz; cycles converted exactly)."""

import simpy

from soc.config import DramConfig
from soc.hw.banked_dram import BankedDram
from soc.hw.dram_address import decode
from soc.kernel import Action, ClockDomain, MemRequest, NullRecorder, elaborate

CONFIG = DramConfig(fidelity="banked", size_bytes=8192 * 2**20)
T = CONFIG.banked
C = T.cycles
CLOCK = ClockDomain(T.freq_hz)


class Counts(NullRecorder):
    def __init__(self):
        self.counts = {}

    def activity(self, t, component, action, amount, master):
        self.counts[action] = self.counts.get(action, 0) + amount


def run(requests, config=CONFIG):
    """requests: (arrival cycle, address, size); returns completion cycles."""
    env = simpy.Environment()
    rec = Counts()
    dram = BankedDram(env, "dram", config, rec)
    elaborate([dram])
    done = {}

    def one(i, cycle, addr, size):
        yield env.timeout(CLOCK.ps(cycle))
        yield from dram.transact(MemRequest(addr, size, False, "m"))
        done[i] = env.now

    for i, (cycle, addr, size) in enumerate(requests):
        env.process(one(i, cycle, addr, size))
    env.run()
    return [CLOCK.cycles(done[i]) for i in range(len(requests))], rec.counts


def test_address_mapping_by_hand():
    # row | rank | bank | bankgroup | column(64 bursts) | 7 offset bits
    addr = (((5 * 2 + 1) * 4 + 3) * 2 + 1) * 64 * 128 + 17 * 128
    loc = decode(addr, T)
    assert (loc.row, loc.rank, loc.bank, loc.bankgroup) == (5, 1, 3, 1)


def test_closed_bank_read_then_a_row_hit():
    # ACT at 0, CAS at tRCD, data tCL later for one burst of BL/2 cycles
    first = C.trcd + C.cl + T.burst_cycles  # 15 + 17 + 8 = 40
    # the next burst of the same row: CAS tCCD_L later, but the bus is busy for 8
    second = first + max(T.burst_cycles, C.tccd_l)
    (a, b), counts = run([(0, 0, 128), (0, 128, 128)])
    assert (round(a), round(b)) == (first, second)
    assert counts[Action.DRAM_ACTIVATE] == 1
    assert counts[Action.DRAM_ROW_MISS] == 1 and counts[Action.DRAM_ROW_HIT] == 1


def test_row_conflict_pays_precharge_after_tras():
    other_row = 2 * 2 * 4 * 2 * 64 * 128  # same rank, bank, group; next row
    first = C.trcd + C.cl + T.burst_cycles
    # PRE waits for tRAS after the ACT at 0, then tRP, ACT, tRCD, CAS, data
    second = C.tras + C.trp + C.trcd + C.cl + T.burst_cycles
    (a, b), counts = run([(0, 0, 128), (0, other_row, 128)])
    assert (round(a), round(b)) == (first, second)
    assert counts[Action.DRAM_ACTIVATE] == 2


def test_a_many_burst_request_is_one_column_sequence():
    # 1 KiB = 8 bursts back to back on the bus after one ACT
    (end,), _ = run([(0, 0, 1024)])
    assert round(end) == C.trcd + C.cl + 8 * T.burst_cycles


def test_different_banks_overlap_their_activates():
    # two banks in different bank groups: the second ACT after tRRD_S; its data
    # follows the first burst on the bus
    other_group = 64 * 128
    first = C.trcd + C.cl + T.burst_cycles
    second = max(C.trrd_s + C.trcd + C.cl, first) + T.burst_cycles
    (a, b), _ = run([(0, 0, 128), (0, other_group, 128)])
    assert (round(a), round(b)) == (first, second)


def test_closed_page_precharges_so_a_later_access_to_the_row_misses():
    closed = DramConfig(
        fidelity="banked", size_bytes=8192 * 2**20, banked={"page_policy": "closed"}
    )
    # the second read to the same row arrives at cycle 100, long after the first
    (_, open_end), open_counts = run([(0, 0, 128), (100, 128, 128)])
    (_, closed_end), closed_counts = run([(0, 0, 128), (100, 128, 128)], closed)
    assert round(open_end) == 100 + C.cl + T.burst_cycles  # a row hit: CAS at once
    # closed: precharged at tRAS (after tRTP), so at 100 the bank needs ACT + tRCD
    assert round(closed_end) == 100 + C.trcd + C.cl + T.burst_cycles
    assert open_counts[Action.DRAM_ACTIVATE] == 1 and closed_counts[Action.DRAM_ACTIVATE] == 2


def test_fcfs_serves_in_arrival_order_where_frfcfs_takes_the_row_hit_first():
    other_row = 2 * 2 * 4 * 2 * 64 * 128  # same bank, next row
    requests = [(0, 0, 128), (0, other_row, 128), (0, 256, 128)]  # A(row 0), B(row 1), C(row 0)
    (a, b, c), _ = run(requests)
    assert a < c < b  # FR-FCFS: C hits A's open row and goes before B
    fcfs = DramConfig(fidelity="banked", size_bytes=8192 * 2**20, banked={"scheduler": "fcfs"})
    (a, b, c), _ = run(requests, fcfs)
    assert a < b < c


def test_read_and_write_row_hits_are_counted_apart():
    """Two writes then a read to one row: the first write opens it (a write miss), the
    second write and the read hit it."""
    from soc.runner.run import _master_row

    env = simpy.Environment()
    rec = Counts()
    dram = BankedDram(env, "dram", CONFIG, rec)
    elaborate([dram])

    def one(cycle, addr, write):
        yield env.timeout(CLOCK.ps(cycle))
        yield from dram.transact(MemRequest(addr, 128, write, "m"))

    for cycle, addr, write in ((0, 0, True), (1, 128, True), (200, 256, False)):
        env.process(one(cycle, addr, write))
    env.run()
    c = rec.counts
    assert (c[Action.DRAM_ROW_MISS], c[Action.DRAM_ROW_HIT]) == (1, 2)
    assert (c[Action.DRAM_WRITE_ROW_MISS], c[Action.DRAM_WRITE_ROW_HIT]) == (1, 1)
    row = _master_row({a.value: n for a, n in c.items()}, 1.0)
    assert (row["read_row_hit_rate"], row["write_row_hit_rate"]) == (1.0, 0.5)


def test_an_access_span_goes_on_its_channel_and_banks_track():
    # the address of test_address_mapping_by_hand: row 5, rank 1, bank 3, bank group 1
    addr = (((5 * 2 + 1) * 4 + 3) * 2 + 1) * 64 * 128 + 17 * 128
    dram = BankedDram(simpy.Environment(), "dram", CONFIG, NullRecorder())
    track = dram.access_track(MemRequest(addr, 128, False, "m"))
    assert track == "dram.ch0.rank1.bg1.bank3"
