"""The banked DRAM's controller by hand: write queue and draining, write-to-read
turnaround, forwarding, channels, address maps and front-end arbitration (DRAM clock
1.2 GHz, LPDDR4-2400 x64 timings; default map row|rank|bank|bankgroup|column)."""

import pytest
import simpy
from pydantic import ValidationError

from soc.config import DramConfig
from soc.hw.banked_dram import BankedDram
from soc.hw.dram_address import decode
from soc.kernel import Action, ClockDomain, MemRequest, NullRecorder, elaborate

SIZE = 8192 * 2**20
T = DramConfig(fidelity="banked", size_bytes=SIZE).banked
C = T.cycles
CLOCK = ClockDomain(T.freq_hz)
BANK = 2 * 64 * 128  # next bank of bank group 0 (bank groups sit just above the column)
GROUP = 64 * 128  # bank group 1 of bank 0
ROW = 2 * 2 * 4 * 2 * 64 * 128  # next row of the same bank


def config(**banked):
    return DramConfig(fidelity="banked", size_bytes=SIZE, banked=banked)


class Counts(NullRecorder):
    def __init__(self):
        self.counts = {}

    def activity(self, t, component, action, amount, master):
        self.counts[action] = self.counts.get(action, 0) + amount


def run(ops, cfg=None, arbitration=None):
    """ops: (cycle, 'R'|'W', addr[, master, qos]); completion cycle of each, counts."""
    cfg = cfg or config()
    if arbitration:
        cfg = DramConfig(**{**cfg.model_dump(), **arbitration})
    env = simpy.Environment()
    rec = Counts()
    dram = BankedDram(env, "dram", cfg, rec)
    elaborate([dram])
    done = {}

    def one(i, cycle, op, addr, master="m", qos=0):
        yield env.timeout(CLOCK.ps(cycle))
        yield from dram.transact(MemRequest(addr, 128, op == "W", master, qos))
        done[i] = env.now

    for i, op in enumerate(ops):
        env.process(one(i, *op))
    env.run()
    return [round(CLOCK.cycles(done[i])) for i in range(len(ops))], rec.counts


def test_a_posted_write_completes_when_the_write_queue_takes_it():
    (posted,), counts = run([(0, "W", 0)], config(posted_writes=True))
    assert posted == 0
    # it still reaches the device: ACT, and a write CAS at tRCD
    assert counts[Action.DRAM_ACTIVATE] == 1 and counts[Action.DRAM_ROW_MISS] == 1
    (unposted,), _ = run([(0, "W", 0)])  # by default a write is done once written
    assert unposted == C.trcd + C.cwl + T.burst_cycles  # 15 + 14 + 8 = 37


def test_a_write_waits_no_longer_than_its_limit_behind_a_stream_of_reads():
    reads = [(0, "R", i * 128) for i in range(512)]  # rank 0, busy for ~4,200 cycles
    write = (0, "W", 512 * 128)  # rank 1, bank 0
    ends, _ = run(reads + [write], config(write_max_wait_cycles=1000))
    # drained at write_max_wait_cycles: ACT then, CAS tRCD later (+ a few cycles for the
    # bus between the reads' bursts and the rank switch)
    earliest = 1000 + C.trcd + C.cwl + T.burst_cycles
    assert earliest <= ends[512] <= earliest + T.burst_cycles + C.trtrs + 3
    assert ends[512] < max(ends[:512])
    patient, _ = run(reads + [write], config(write_max_wait_cycles=10_000))
    assert patient[512] > max(patient[:512])  # it waits until no read is queued


def test_writes_wait_for_the_reads_until_the_write_queue_fills():
    cfg = config(posted_writes=False)
    reads = [(0, "R", i * 128) for i in range(8)]  # one row of bank 0
    ends, _ = run(reads + [(0, "W", BANK)], cfg)
    # reads: ACT 0, CAS 15, 23, ..., 71 (a burst every 8 cycles)
    assert ends[:8] == [C.trcd + C.cl + T.burst_cycles * (i + 1) for i in range(8)]
    # the write enters its bank only when no read is queued: at the last read CAS (71),
    # ACT at 72, CAS at 72 + tRCD = 87 (the bus is free for it from 96 - CWL = 82)
    assert ends[8] == 72 + C.trcd + C.cwl + T.burst_cycles  # 109
    # with a one-entry write queue the write is "full" at once: it drains, and while
    # draining, writes go first: its ACT at 0, CAS at 15, data until 37; the reads'
    # ACT at tRRD, but their first CAS waits tWTR_L (same bank group) after the write
    drained, _ = run(reads + [(0, "W", BANK)], config(posted_writes=False, write_queue=1))
    assert drained[8] == C.trcd + C.cwl + T.burst_cycles  # 37
    assert drained[0] == 37 + C.twtr_l + C.cl + T.burst_cycles  # 78


def test_a_drain_with_reads_waiting_stops_at_the_low_mark():
    # a read enters its bank at cycle 0 (its CAS is due at tRCD = 15); four writes fill
    # a four-entry write queue at cycle 1, and a drain starts with the read waiting. To
    # a low mark of 2 it sends only two writes to the banks, which go before the read
    # (writes first while draining); the drain then ends, the read goes, and the other
    # two writes wait for the next drain. To a low mark of 0 all four go first.
    ops = [(0, "R", 4 * BANK)] + [(1, "W", i * BANK) for i in range(4)]
    cfg = dict(posted_writes=False, write_queue=4, write_drain_high=4)
    ends, _ = run(ops, config(**cfg, write_drain_low=2))
    assert max(ends[1:3]) < ends[0] < min(ends[3:5])
    ends, _ = run(ops, config(**cfg, write_drain_low=0))
    assert max(ends[1:5]) < ends[0]


def test_write_to_read_turnaround_is_longer_within_a_bank_group():
    cfg = config(posted_writes=False)
    write_end = C.trcd + C.cwl + T.burst_cycles  # write data ends at 37
    # a read arriving at 20 to another bank: ACT at 20, ready for CAS at 35, but must
    # wait tWTR after the write data: tWTR_L (16) in the same group, tWTR_S (8) otherwise
    (_, same), _ = run([(0, "W", 0), (20, "R", BANK)], cfg)
    (_, other), _ = run([(0, "W", 0), (20, "R", GROUP)], cfg)
    assert same == write_end + C.twtr_l + C.cl + T.burst_cycles  # 78
    assert other == write_end + C.twtr_s + C.cl + T.burst_cycles  # 70


def test_a_read_of_a_queued_write_is_answered_from_the_write_queue():
    # the write waits (a read of bank 0 keeps the queue out of drain) ...
    ops = [(0, "R", BANK), (0, "W", 0), (1, "R", 0)]
    (_, _, forwarded), counts = run(ops)
    assert forwarded == 1  # answered at once, no device access of its own
    assert counts[Action.DRAM_ACTIVATE] == 2  # the first read's bank and the write's


def test_channels_serve_in_parallel():
    two = config(channels=2, address_map="row:rank:bank:bankgroup:column:channel")
    single = C.trcd + C.cl + T.burst_cycles  # 40
    # consecutive bursts land in the two channels: both finish at 40
    assert run([(0, "R", 0), (0, "R", 128)], two)[0] == [single, single]
    # in one channel the second burst follows the first on the bus
    assert run([(0, "R", 0), (0, "R", 128)])[0] == [single, single + T.burst_cycles]


def test_address_maps_by_hand():
    interleaved = config(address_map="row:column:rank:bank:bankgroup").banked
    # bursts 0, 1, 2, ... rotate bank group fastest, then bank, then rank
    locs = [decode(i * 128, interleaved) for i in range(17)]
    assert [(x.bankgroup, x.bank, x.rank) for x in locs[:3]] == [(0, 0, 0), (1, 0, 0), (0, 1, 0)]
    assert (locs[16].rank, locs[16].bank, locs[16].bankgroup, locs[16].row) == (0, 0, 0, 0)
    # row|rank|bank|bankgroup|column: 64 bursts stay in one bank before moving on
    assert decode(63 * 128, T).bank_id == 0 and decode(64 * 128, T).bankgroup == 1
    # channel on top: each channel holds 8 GiB, the second starts at 8 GiB
    top = config(channels=2, address_map="channel:row:rank:bank:bankgroup:column").banked
    assert decode(SIZE - 128, top).channel == 0 and decode(SIZE, top).channel == 1
    # channel under the row: channels alternate every 16 banks x 8 KiB rows = 128 KiB
    under = config(channels=2, address_map="row:channel:rank:bank:bankgroup:column").banked
    assert [decode(i * 128 * 1024, under).channel for i in range(3)] == [0, 1, 0]


@pytest.mark.parametrize(
    ("banked", "message"),
    [
        ({"address_map": "row:bank:bank:column"}, "names bank more than once"),
        ({"channels": 2}, "address_map lacks channel"),
        ({"address_map": "row:bank:column"}, "address_map lacks rank, bankgroup"),
        ({"write_queue": 8, "write_drain_low": 8}, "write_drain_low (8) < write_drain_high"),
    ],
)
def test_bad_organisations_are_refused(banked, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        config(**banked)


def test_priority_decides_who_enters_a_full_controller_first():
    # a one-entry queue in front of a one-entry bank queue: L1 goes to the bank, L2
    # holds the queue entry, L3 (low) and H (urgent) wait at the front end
    tight = config(transaction_queue=1, command_queue=1)
    ops = [(0, "R", 0, "low", 3), (0, "R", 128, "low", 3), (0, "R", 256, "low", 3)]
    ops.append((0, "R", 384, "high", 0))
    fcfs, _ = run(ops, tight)
    assert sorted(range(4), key=fcfs.__getitem__) == [0, 1, 2, 3]
    prio, _ = run(ops, tight, {"arbitration": "priority"})
    assert sorted(range(4), key=prio.__getitem__) == [0, 1, 3, 2]


def test_a_regulated_master_enters_no_faster_than_its_token_rate():
    # 1 GB/s with a 128 B bucket: one 128 B request every 128 ns = 153.6 cycles
    regulated = {"regulators": {"dma": {"rate_bytes_per_s": 1e9, "burst_bytes": 128}}}
    ops = [(0, "R", i * 128, "dma") for i in range(4)]
    ends, _ = run(ops, config(), regulated)
    single = C.trcd + C.cl + T.burst_cycles
    assert ends[0] == single
    # later ones enter at 128 ns steps and hit the open row: CAS at once
    for i in (1, 2, 3):
        entered = CLOCK.cycles(i * 128_000)
        assert ends[i] == pytest.approx(entered + C.cl + T.burst_cycles, abs=1)


def test_a_dram_larger_than_its_organisation_is_refused():
    # LPDDR4-3200 x32: 8 banks x 65,536 rows x 4 KiB rows = 2 GiB
    fits = DramConfig(fidelity="banked", preset="LPDDR4-3200", size_bytes=2**31)
    assert fits.banked.capacity_bytes == 2**31
    with pytest.raises(ValidationError, match=r"size_bytes \(4294967296\) exceeds"):
        DramConfig(fidelity="banked", preset="LPDDR4-3200", size_bytes=4 * 2**30)
    DramConfig(fidelity="simple", preset="LPDDR4-3200", size_bytes=4 * 2**30)  # no rows


# -- the arbitration policy in the command scheduler --------------------------------
# Default timing: ACT, then CAS tRCD = 15 later, data CL = 17 after the CAS for
# BL/2 = 8 cycles: a lone read to a closed bank is done at 15 + 17 + 8 = 40.


def test_priority_serves_the_urgent_class_row_miss_before_a_row_hit():
    # L0 opens row 0 of bank 0 (ACT 0, CAS 15, done 40). At 41 two reads arrive at
    # once: L1 (class 3) hits the open row, H (class 0) needs another row of the bank.
    ops = [(0, "R", 0, "low", 3), (41, "R", 128, "low", 3), (41, "R", ROW, "high", 0)]
    (_, hit, miss), _ = run(ops)
    # fcfs: the row hit first (CAS at 41, done 66); H's PRE waits tRTP after it
    # (41 + 12 = 53), ACT at 53 + tRP = 68, CAS at 68 + tRCD = 83, done 108
    assert (hit, miss) == (41 + 25, 53 + C.trp + C.trcd + 25)
    (_, hit, miss), _ = run(ops, arbitration={"arbitration": "priority"})
    # priority: H's PRE at once (tRAS and tRTP long past), ACT 56, CAS 71, done 96;
    # then L1 needs row 0 again: PRE at tRAS after H's ACT (88), ACT 103, CAS 118
    assert miss == 41 + C.trp + C.trcd + C.cl + T.burst_cycles  # 96
    assert hit == 41 + C.trp + C.tras + C.trp + C.trcd + C.cl + T.burst_cycles  # 143


def streams(a, b, n=4):
    """n row hits each for masters a (bank 0) and b (bank group 1), all at cycle 0."""
    first = [(0, "R", i * 128, a) for i in range(n)]
    return first + [(0, "R", GROUP + i * 128, b) for i in range(n)]


def test_round_robin_alternates_masters_with_ready_commands():
    # ACT a at 0, ACT b at tRRD_S = 8; a's first CAS at 15, then every CAS waits for
    # the data bus (one burst, 8 cycles): CAS at 15, 23, 31, ... done 25 later
    ends, _ = run(streams("a", "b"), arbitration={"arbitration": "round_robin"})
    assert ends[:4] == [40, 56, 72, 88]  # a: CAS at 15, 31, 47, 63
    assert ends[4:] == [48, 64, 80, 96]  # b: CAS at 23, 39, 55, 71
    # fcfs: at every tie the oldest, so all of a before b
    ends, _ = run(streams("a", "b"))
    assert ends == [40, 48, 56, 64, 72, 80, 88, 96]


def test_weighted_three_to_one_serves_three_to_one():
    # start-time fair queuing over bytes, weights a 3, b 1, 128 B each: a's tag moves
    # on by 128 / 3, b's by 128. Tags (a, b): (0, 0) a | (42.7, 0) b | (42.7, 128) a |
    # (85.3, 128) a | (128, 128) a, the older | (170.7, 128) b | (170.7, 256) a, a, a |
    # (256, 256) b ... so a b a a a b a a a b a a a b a a: 12 of a to 4 of b
    weights = {"arbitration": "weighted", "weights": {"a": 3, "b": 1}}
    ends, _ = run(streams("a", "b", n=12), arbitration=weights)
    order = sorted(range(24), key=ends.__getitem__)[:16]
    assert "".join("a" if i < 12 else "b" for i in order) == "abaaabaaabaaabaa"
    # every CAS one burst after the one before: the bus never idles
    assert sorted(ends)[:16] == [40 + 8 * k for k in range(16)]


def test_the_age_limit_lets_an_old_low_priority_read_through():
    # L (class 3, bank 1 of bank group 0) arrives first; 40 row hits of H (class 0)
    # to bank 0 keep the bus busy, one CAS every 8 cycles: 15, 23, ..., 327. L's ACT
    # goes at tRRD = 8, but its CAS ties with H's at every slot and loses.
    ops = [(0, "R", BANK, "low", 3)] + [(0, "R", i * 128, "high", 0) for i in range(40)]
    prio = {"arbitration": "priority"}
    ends, _ = run(ops, config(age_limit_cycles=None), prio)
    assert ends[0] == 15 + 39 * 8 + 8 + 25  # after the last of H: CAS 335, done 360
    # limit 200: the scheduler picks each command one cycle after the last one issued;
    # after H's CAS at 15 + 23 x 8 = 199 it decides at 200, when L has waited 200:
    # L's CAS goes at the next bus slot, 207, and is done at 232
    ends, _ = run(ops, config(age_limit_cycles=200), prio)
    assert ends[0] == 199 + 8 + 25
    assert max(ends[1:]) == 360  # H loses one slot


def test_an_age_limit_shorter_than_a_row_cycle_is_refused():
    with pytest.raises(ValidationError, match=r"age_limit_cycles \(40\) is shorter than"):
        config(age_limit_cycles=40)  # tRAS + tRP = 32 + 15 = 47
    assert config(age_limit_cycles=47).banked.age_limit_cycles == 47


def test_a_master_over_its_token_rate_is_chosen_last_by_the_scheduler():
    # r (regulated: 1 GB/s, a 256 B bucket) and u each offer two row hits at cycle 0,
    # r's first. Both of r's enter at once (the bucket holds 256 B) and empty it: r is
    # over its rate until it refills (128 B at 1 GB/s: 128 ns, 154 cycles)
    ops = [(0, "R", 0, "r"), (0, "R", 128, "r"), (0, "R", GROUP, "u"), (0, "R", GROUP + 128, "u")]
    ends, _ = run(ops)
    assert ends == [40, 48, 56, 64]  # fcfs: r's older requests win the ties
    regulated = {"regulators": {"r": {"rate_bytes_per_s": 1e9, "burst_bytes": 256}}}
    ends, _ = run(ops, arbitration=regulated)
    # u's ACT at 0, r's at tRRD = 8; u's CAS at 15 and 23, r's at 31 and 39
    assert ends == [56, 64, 40, 48]
