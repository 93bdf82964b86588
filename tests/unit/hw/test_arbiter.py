"""Arbitration among masters and token-bucket regulation, by hand."""

from soc.hw.arbiter import Arbiter, RequestQueues, TokenBucket
from soc.kernel import MemRequest


def req(master, qos=1, size=64, write=False):
    return MemRequest(0, size, write, master, qos)


def order(queues, now=0, admits=None):
    """Masters in the order the queues give their requests up."""
    taken = []
    while True:
        chosen, _ = queues.pop(now, admits)
        if chosen is None:
            return taken
        taken.append(chosen[1])


def queued(policy, requests, **kwargs):
    queues = RequestQueues(Arbiter(policy, **kwargs))
    for i, r in enumerate(requests):
        queues.push(r, f"{r.master}{i}")
    return queues


def test_fcfs_takes_the_oldest():
    assert order(queued("fcfs", [req("a", 2), req("b", 0), req("a", 0)])) == ["a0", "b1", "a2"]


def test_priority_takes_the_most_urgent_class_then_the_oldest():
    requests = [req("a", 2), req("b", 1), req("c", 1), req("b", 1)]
    assert order(queued("priority", requests)) == ["b1", "c2", "b3", "a0"]


def test_a_master_keeps_its_own_order_even_under_priority():
    # the urgent request of `a` waits behind a's older, less urgent one
    requests = [req("a", 3), req("b", 2), req("a", 0)]
    assert order(queued("priority", requests)) == ["b1", "a0", "a2"]


def test_round_robin_takes_masters_in_turn():
    requests = [req("a"), req("a"), req("b"), req("c")]
    assert order(queued("round_robin", requests)) == ["a0", "b2", "c3", "a1"]


def test_weighted_shares_bytes_by_weight():
    requests = [req("a") for _ in range(8)] + [req("b") for _ in range(8)]
    queues = queued("weighted", requests, weights={"a": 3, "b": 1})
    served = [queues.pop(0)[0][0].master for _ in range(8)]
    assert served.count("a") == 6 and served.count("b") == 2  # 3 : 1


def test_reads_and_writes_queue_apart_and_a_full_direction_is_skipped():
    requests = [req("a", write=True), req("a"), req("b", write=True)]
    assert order(queued("fcfs", requests), admits=lambda is_write: not is_write) == ["a1"]


def test_token_bucket_holds_a_regulated_master_until_it_refills():
    # 1 GB/s = 1 byte per ns; a 64 B burst allows one 64 B request at once
    bucket = TokenBucket(rate_bytes_per_s=1e9, burst_bytes=64)
    queues = RequestQueues(Arbiter("fcfs", regulators={"npu": bucket}))
    queues.push(req("npu"), "npu0")
    queues.push(req("npu"), "npu1")
    assert queues.pop(0)[0][1] == "npu0"
    # empty bucket: the next 64 B are there after 64 ns = 64,000 ps
    assert queues.pop(10_000) == (None, 64_000)
    # an unregulated master is served meanwhile
    queues.push(req("cam"), "cam")
    assert queues.pop(10_000)[0][1] == "cam"
    assert queues.pop(64_000)[0][1] == "npu1"
    assert queues.pop(64_000) == (None, None)
