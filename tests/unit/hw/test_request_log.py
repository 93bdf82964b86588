"""RequestLog: what each served request waited for, derived by hand on a memory that
answers after a fixed latency."""

import simpy

from soc.hw.request_log import COLUMNS, RequestLog
from soc.kernel.ports import MemRequest
from tests.unit.hw.conftest import FixedLatencyTarget


def record(issues):
    """Issue (master, time, addr) requests; the rows the log writes, as dicts."""
    env = simpy.Environment()
    rows = []
    log = RequestLog(env, FixedLatencyTarget(env, 1_000), rows.append)

    def one(master, t, addr):
        yield env.timeout(t)
        req = MemRequest(addr, 64, False, master)
        req.issued_ps = env.now
        yield from log.transact(req)

    for master, t, addr in issues:
        env.process(one(master, t, addr))
    env.run()
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def test_each_request_waits_for_the_last_completion_before_its_issue():
    rows = record([("dma", 0, 0), ("dma", 0, 64), ("dma", 1_000, 128), ("dma", 1_700, 192)])
    by_seq = {r["number"]: r for r in rows}
    # seqs 0 and 1 complete at 1000 (1 recorded last); seq 2, issued at 1000, completes
    # at 2000, after seq 3's issue at 1700: seq 3 waited for seq 1 too, then 700 ps
    assert [by_seq[s]["after"] for s in range(4)] == [None, None, 1, 1]
    assert [by_seq[s]["think_ps"] for s in range(4)] == [0, 0, 0, 700]
    assert [(r["issue_ps"], r["arrival_ps"], r["done_ps"]) for r in rows][:2] == [
        (0, 0, 1_000),
        (0, 0, 1_000),
    ]


def test_masters_are_apart():
    rows = record([("a", 0, 0), ("b", 1_500, 64), ("a", 1_500, 128)])
    after = {(r["master"], r["number"]): r["after"] for r in rows}
    assert after == {("a", 0): None, ("b", 0): None, ("a", 1): 0}
