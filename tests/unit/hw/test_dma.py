"""DmaEngine over a real path: DMA -> Crossbar -> SimpleDram (source) and SramBanks (dest)."""

import math

import pytest

from soc.config import CpuConfig, DmaConfig, DramConfig, NocConfig, SramConfig
from soc.errors import WiringError
from soc.hw import (
    Crossbar,
    DmaEngine,
    HostCpu,
    SimpleDram,
    SramBanks,
)
from soc.hw.dma import split_requests
from soc.kernel import Action, NullRecorder, elaborate
from soc.kernel.ports import DmaTransfer
from soc.plan import DriverProgram, HostStep

# Every clock is 1 GHz: one cycle is 1000 ps.
PERIOD_PS = 1000
NOC = NocConfig(freq_hz=1_000_000_000, link_width_bytes=32, router_latency_cycles=2)
# 16 banks x 64 B interleave: a 1 KiB request puts 64 B (one 64 B beat) in every bank
SRAM = SramConfig(
    base_addr=0x1_0000_0000,
    size_bytes=64 * 1024,
    banks=16,
    bank_width_bytes=64,
    interleave_bytes=64,
    latency_cycles=2,
    freq_hz=1_000_000_000,
)
SETUP_PS = 50_000
DRAM_LATENCY_PS = 100_000
REQUEST = 1024

ROUTER_PS = 2 * PERIOD_PS
SER_PS = math.ceil(REQUEST / 32) * PERIOD_PS  # 32 cycles on a link
SRAM_PS = math.ceil(64 / 64) * PERIOD_PS + 2 * PERIOD_PS  # one beat per bank + latency


def dram_config(bytes_per_ns: int) -> DramConfig:
    return DramConfig(
        base_addr=0,
        size_bytes=2**20,
        bandwidth_bytes_per_s=bytes_per_ns * 1e9,
        latency_ps=DRAM_LATENCY_PS,
    )


def build(env, recorder, max_outstanding: int, dram_bytes_per_ns: int = 16) -> DmaEngine:
    dma_cfg = DmaConfig(
        channels=1,
        request_bytes=REQUEST,
        max_outstanding=max_outstanding,
        setup_latency_ps=SETUP_PS,
    )
    dma = DmaEngine(env, "dma", dma_cfg, recorder)
    noc = Crossbar(env, "noc", NOC, recorder)
    dram = SimpleDram(env, "dram", dram_config(dram_bytes_per_ns), recorder)
    sram = SramBanks(env, "sram", SRAM, recorder)
    dma.mem.bind(noc.initiator("dma"))
    noc.target_port("dram", 0, 2**20).bind(dram)
    noc.target_port("sram", SRAM.base_addr, SRAM.size_bytes).bind(sram)
    elaborate([dma, noc, dram, sram])
    return dma


def completion_ps(env, dma, transfer: DmaTransfer) -> int:
    done = dma.submit(transfer)
    env.run(until=done)
    return env.now


def four_kib() -> DmaTransfer:
    return DmaTransfer(src_addr=0, dst_addr=SRAM.base_addr, row_bytes=4096)


def test_split_requests_covers_every_row_with_strides():
    transfer = DmaTransfer(0x100, 0x9000, row_bytes=2500, rows=2, src_stride_bytes=4096)
    assert list(split_requests(transfer, 1024)) == [
        (0x100, 0x9000, 1024),
        (0x100 + 1024, 0x9000 + 1024, 1024),
        (0x100 + 2048, 0x9000 + 2048, 2500 - 2048),
        (0x100 + 4096, 0x9000 + 2500, 1024),
        (0x100 + 4096 + 1024, 0x9000 + 2500 + 1024, 1024),
        (0x100 + 4096 + 2048, 0x9000 + 2500 + 2048, 2500 - 2048),
    ]


def test_one_request_in_flight_serialises_everything(env, recorder):
    dma = build(env, recorder, max_outstanding=1)
    dram_ps = math.ceil(REQUEST / 16) * PERIOD_PS  # 16 B/ns -> 64 ns on the DRAM bus
    read = ROUTER_PS + dram_ps + DRAM_LATENCY_PS + SER_PS + ROUTER_PS
    write = SER_PS + ROUTER_PS + SRAM_PS + ROUTER_PS
    expected = SETUP_PS + 4 * (read + write)
    assert completion_ps(env, dma, four_kib()) == expected == 1_006_000
    assert recorder.total(Action.DRAM_READ_BYTE, "dma") == 4096
    assert recorder.total(Action.SRAM_WRITE_BYTE, "dma") == 4096
    assert recorder.total(Action.DMA_REQUEST) == 4


def test_four_in_flight_pipeline_behind_the_dram_bus(env, recorder):
    dma = build(env, recorder, max_outstanding=4)
    dram_ps = math.ceil(REQUEST / 16) * PERIOD_PS  # 64 ns per request > 32 ns per link use
    # All four reads reach the DRAM one router after setup and queue on its bus; the
    # k-th leaves it after k transfers + latency. The links (32 ns a use) are free again
    # before the next request's data (64 ns later) arrives, so only the last one counts.
    last_read = ROUTER_PS + 4 * dram_ps + DRAM_LATENCY_PS + SER_PS + ROUTER_PS
    write = SER_PS + ROUTER_PS + SRAM_PS + ROUTER_PS
    expected = SETUP_PS + last_read + write
    assert completion_ps(env, dma, four_kib()) == expected == 481_000


def test_four_in_flight_pipeline_behind_the_noc_link(env, recorder):
    dma = build(env, recorder, max_outstanding=4, dram_bytes_per_ns=64)
    dram_ps = math.ceil(REQUEST / 64) * PERIOD_PS  # 16 ns per request < 32 ns per link use
    # The first response leaves the DRAM at router + dram + latency; the four responses
    # then queue on the DMA's down-link (32 ns each), and the writes on its up-link
    # follow them at the same pace, so the last write starts after 4 serialisations.
    last_read = ROUTER_PS + dram_ps + DRAM_LATENCY_PS + 4 * SER_PS + ROUTER_PS
    write = SER_PS + ROUTER_PS + SRAM_PS + ROUTER_PS
    expected = SETUP_PS + last_read + write
    assert completion_ps(env, dma, four_kib()) == expected == 337_000


def test_transfers_on_one_channel_run_one_after_another(env, recorder):
    dma = build(env, recorder, max_outstanding=4)
    first = dma.submit(four_kib())
    second = dma.submit(DmaTransfer(src_addr=8192, dst_addr=SRAM.base_addr + 8192, row_bytes=4096))
    env.run(until=first)
    t_first = env.now
    env.run(until=second)
    # 481_000 as derived in test_four_in_flight_pipeline_behind_the_dram_bus; the path is
    # idle again when the second transfer's setup starts, so it takes as long again
    assert (t_first, env.now) == (481_000, 2 * 481_000)


def test_submit_to_a_missing_channel_is_rejected(env, recorder):
    dma = build(env, recorder, max_outstanding=1)
    with pytest.raises(ValueError, match="no channel 1"):
        dma.submit(DmaTransfer(0, SRAM.base_addr, row_bytes=64, channel=1))


def test_elaborate_names_every_unbound_port(env):
    stage = HostStep("stage", "stage", 0, (), (), 64)
    program = DriverProgram("main", 0, 1, None, None, stage, stage, steps=())
    cpu = HostCpu(env, "cpu", CpuConfig(), [program], NullRecorder())
    dma = DmaEngine(env, "dma", DmaConfig(), NullRecorder())
    noc = Crossbar(env, "noc", NOC, NullRecorder())
    sram = SramBanks(env, "sram", SRAM, NullRecorder())
    cpu.mem.bind(noc.initiator("cpu"))  # bound: must not be named
    noc.target_port("dram", 0, 2**20)
    noc.target_port("sram", SRAM.base_addr, SRAM.size_bytes).bind(sram)
    with pytest.raises(WiringError) as raised:
        elaborate([cpu, dma, noc, sram])
    assert str(raised.value) == "unbound ports: cpu.npu, dma.mem, noc.dram"
