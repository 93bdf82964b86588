"""ReplayMaster against a memory that answers every request after a fixed latency: the
issue times below follow from the mode's rule and that latency by hand."""

import pytest
import simpy

from soc.hw.replay import ReplayMaster, ReplayRequest
from soc.kernel import elaborate
from tests.unit.hw.conftest import FixedLatencyTarget, RecordingRecorder


class Memory(FixedLatencyTarget):
    """Notes when each address arrives."""

    def transact(self, req):
        self.issued[req.addr] = self.env.now
        yield from super().transact(req)


def replay(requests, mode, latency_ps, max_outstanding=32):
    """When each request of `requests` reached the memory (in stream order), and the end."""
    env = simpy.Environment()
    master = ReplayMaster(env, "m", requests, mode, RecordingRecorder(), max_outstanding)
    memory = Memory(env, latency_ps)
    memory.issued = {}
    master.mem.bind(memory)
    elaborate([master])
    env.run(until=master.finished)
    return [memory.issued[r.addr] for r in requests], env.now


STREAM = [
    ReplayRequest(0x0, 64, False, t_ps=0),
    ReplayRequest(0x40, 64, False, t_ps=1_100, after=0, think_ps=100),  # waited for 0
    ReplayRequest(0x80, 64, True, t_ps=1_500),  # paced by time: waited for nothing
    ReplayRequest(0xC0, 64, False, t_ps=2_200, after=1, think_ps=100),
]


def test_timed_issues_at_the_recorded_times_whatever_the_memory():
    for latency in (500, 1_000, 3_000):
        issued, _ = replay(STREAM, "timed", latency)
        assert issued == [0, 1_100, 1_500, 2_200]


def test_elastic_follows_the_memory():
    # recorded on a 1000 ps memory: the same times as recorded
    assert replay(STREAM, "elastic", 1_000) == ([0, 1_100, 1_500, 2_200], 3_200)
    # a 500 ps memory: request 1 at 500 + 100, request 3 at 600 + 500 + 100
    assert replay(STREAM, "elastic", 500) == ([0, 600, 1_500, 1_200], 2_000)
    # a 3000 ps memory: 1 at 3100, 2 keeps its time, 3 at 3100 + 3000 + 100
    assert replay(STREAM, "elastic", 3_000) == ([0, 3_100, 1_500, 6_200], 9_200)


def test_untimed_requests_keep_the_slots_full():
    untimed = [ReplayRequest(64 * i, 64, False, t_ps=None) for i in range(5)]
    issued, end = replay(untimed, "timed", 1_000, max_outstanding=2)  # two at a time
    assert issued == [0, 0, 1_000, 1_000, 2_000] and end == 3_000


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="replay mode 'fast'"):
        replay(STREAM, "fast", 1_000)


def test_display_underflows_by_hand():
    from soc.hw.replay import display_underflows

    # lines of 100 B every 1000 ps; reads of 100 B complete at 500, 2500, 2600
    completions = [(500, 100), (2_500, 100), (2_600, 100)]
    # line 1 at 1000: 100 B there; line 2 at 2000: empty (short 100); line 3 at 3000:
    # 200 B there, takes 100; line 4 at 4000: 100 B; line 5 at 5000: empty
    assert display_underflows(completions, 100, 1_000, 5_000) == (2, 200)
