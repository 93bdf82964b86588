"""A DRAM's latency samples, reads and writes apart, and when a write's data is written,
by hand on an idle banked DRAM (DRAM clock 1.2 GHz, LPDDR4-2400 x64 timings: tRCD 15,
CL 17, CWL 14 cycles, a burst of 8 cycles; a 128 B request is one burst)."""

import simpy

from soc.config import DramConfig
from soc.hw import SimpleDram
from soc.hw.banked_dram import BankedDram
from soc.kernel import ClockDomain, MemRequest, NullRecorder, elaborate

SIZE = 8192 * 2**20
FRONTEND = 3  # cycles from a burst's end to the requester


def config(posted: bool) -> DramConfig:
    banked = {"posted_writes": posted, "frontend_cycles": FRONTEND}
    return DramConfig(fidelity="banked", size_bytes=SIZE, banked=banked)


CLOCK = ClockDomain(config(False).banked.freq_hz)


class Samples(NullRecorder):
    """Keeps every sample: {name: [(master, value), ...]} in the order taken."""

    def __init__(self):
        self.samples: dict[str, list[tuple[str, int]]] = {}

    def sample(self, t, component, name, value, master):
        self.samples.setdefault(name, []).append((master, value))


def run(dram_of, requests):
    """requests: (arrival ps, address, write); the samples the DRAM took."""
    env = simpy.Environment()
    rec = Samples()
    dram = dram_of(env, rec)
    elaborate([dram])

    def one(at, addr, write):
        yield env.timeout(at)
        yield from dram.transact(MemRequest(addr, 128, write, "m"))

    for request in requests:
        env.process(one(*request))
    env.run()
    return rec.samples


def banked(posted):
    return lambda env, rec: BankedDram(env, "dram", config(posted), rec)


# A read of bank 0, row 0 at cycle 0, then a write to the next burst of the same row at
# cycle 100, once the read is long done (the row stays open: open-page policy).
READ_AT, WRITE_AT = 0, 100
REQUESTS = [(CLOCK.ps(READ_AT), 0, False), (CLOCK.ps(WRITE_AT), 128, True)]
# the read: ACT at 0, its column command tRCD later, its burst CL after that, then the
# front end
READ_PS = CLOCK.ps(15 + 17 + 8 + FRONTEND)
# the write, alone in the write queue with no read waiting, drains at once: a row hit,
# its column command at its arrival cycle, its data CWL + a burst later
WRITTEN_PS = CLOCK.ps(WRITE_AT + 14 + 8) - CLOCK.ps(WRITE_AT)


def test_a_posted_write_is_done_on_acceptance_and_its_data_written_is_sampled_apart():
    samples = run(banked(True), REQUESTS)
    # every request also under the mixed names, in the order they completed
    assert samples["latency_ps"] == [("m", READ_PS), ("m", 0)]
    assert samples["service_latency_ps"] == [("m", READ_PS), ("m", 0)]
    assert samples["read_latency_ps"] == samples["read_service_latency_ps"] == [("m", READ_PS)]
    assert samples["write_latency_ps"] == samples["write_service_latency_ps"] == [("m", 0)]
    # no front end on the data's way into the DRAM
    assert samples["write_data_latency_ps"] == [("m", WRITTEN_PS)]
    assert samples["write_data_service_latency_ps"] == [("m", WRITTEN_PS)]


def test_an_unposted_write_completes_the_front_end_after_its_data_is_written():
    samples = run(banked(False), REQUESTS)
    done_ps = CLOCK.ps(WRITE_AT + 14 + 8 + FRONTEND) - CLOCK.ps(WRITE_AT)
    assert samples["read_latency_ps"] == [("m", READ_PS)]
    assert samples["write_latency_ps"] == [("m", done_ps)]
    assert samples["write_data_latency_ps"] == [("m", WRITTEN_PS)]
    assert samples["latency_ps"] == [("m", READ_PS), ("m", done_ps)]


def test_a_write_waiting_at_the_front_end_counts_from_arrival_or_from_acceptance():
    # one-entry bank and write queues, three writes to one row at cycle 0: the first goes
    # to the bank, the second to the write queue, the third waits at the front end until
    # the first's column command frees the bank's entry (posted: it is done then)
    banked = {"posted_writes": True, "write_queue": 1, "command_queue": 1}
    cfg = DramConfig(fidelity="banked", size_bytes=SIZE, banked=banked)
    samples = run(
        lambda env, rec: BankedDram(env, "dram", cfg, rec),
        [(0, 0, True), (0, 128, True), (0, 256, True)],
    )
    # first: ACT at 0, column command at tRCD = 15; then each row hit's column command a
    # burst (8 cycles, longer than tCCD_L = 6) after the one before, its data CWL + a
    # burst after its command
    cas = [15, 15 + 8, 15 + 16]
    written = [CLOCK.ps(c + 14 + 8) for c in cas]
    assert samples["write_latency_ps"] == [("m", 0), ("m", 0), ("m", CLOCK.ps(15))]
    assert samples["write_service_latency_ps"] == [("m", 0)] * 3
    assert samples["write_data_latency_ps"] == [("m", w) for w in written]
    taken = [0, 0, CLOCK.ps(15)]
    assert samples["write_data_service_latency_ps"] == [
        ("m", w - a) for w, a in zip(written, taken, strict=True)
    ]


def test_a_dram_that_writes_on_completion_samples_no_data_written_apart():
    cfg = DramConfig(base_addr=0, size_bytes=2**20, bandwidth_bytes_per_s=16e9, latency_ps=50_000)
    samples = run(
        lambda env, rec: SimpleDram(env, "dram", cfg, rec), [(0, 0, False), (0, 256, True)]
    )
    # 128 B at 16 GB/s = 8 ns on the bus, then the latency; the write after the read
    assert samples["read_latency_ps"] == [("m", 8_000 + 50_000)]
    assert samples["write_latency_ps"] == [("m", 16_000 + 50_000)]
    assert "write_data_latency_ps" not in samples
    assert samples["latency_ps"] == [("m", 58_000), ("m", 66_000)]
