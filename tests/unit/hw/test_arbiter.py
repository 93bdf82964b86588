"""Arbitration among masters and token-bucket regulation, by hand."""

from soc.hw.arbiter import Arbiter, TokenBucket
from soc.kernel import MemRequest


def req(master, qos=1, size=64):
    return MemRequest(0, size, False, master, qos)


def test_fcfs_takes_the_oldest():
    pending = [req("a", 2), req("b", 0)]
    assert Arbiter("fcfs").choose(pending, 0) == (0, 0)


def test_priority_takes_the_most_urgent_class_then_the_oldest():
    pending = [req("a", 2), req("b", 1), req("c", 1)]
    assert Arbiter("priority").choose(pending, 0)[0] == 1


def test_round_robin_takes_masters_in_turn():
    arbiter = Arbiter("round_robin")
    pending = [req("a"), req("a"), req("b"), req("c")]
    order = []
    while pending:
        i, _ = arbiter.choose(pending, 0)
        order.append(pending[i].master)
        arbiter.charge(pending.pop(i), 0)
    assert order == ["a", "b", "c", "a"]


def test_weighted_shares_bytes_by_weight():
    arbiter = Arbiter("weighted", weights={"a": 3, "b": 1})
    pending = [req("a") for _ in range(8)] + [req("b") for _ in range(8)]
    served = []
    for _ in range(8):
        i, _ = arbiter.choose(pending, 0)
        served.append(pending[i].master)
        arbiter.charge(pending.pop(i), 0)
    assert served.count("a") == 6 and served.count("b") == 2  # 3 : 1


def test_token_bucket_holds_a_regulated_master_until_it_refills():
    # 1 GB/s = 1 byte per ns; a 64 B burst allows one 64 B request at once
    bucket = TokenBucket(rate_bytes_per_s=1e9, burst_bytes=64)
    arbiter = Arbiter("fcfs", regulators={"npu": bucket})
    first = req("npu")
    assert arbiter.choose([first], 0) == (0, 0)
    arbiter.charge(first, 0)
    # empty bucket: the next 64 B are there after 64 ns = 64,000 ps
    assert arbiter.choose([req("npu")], 10_000) == (None, 64_000)
    # an unregulated master is served meanwhile
    assert arbiter.choose([req("npu"), req("cam")], 10_000) == (1, 10_000)
    assert arbiter.choose([req("npu")], 64_000) == (0, 64_000)
