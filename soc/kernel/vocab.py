"""The shared vocabulary of components and trace: span kinds, activity actions, levels."""

from enum import IntEnum, StrEnum


class Level(IntEnum):
    """Trace detail. A span is recorded when its level <= the run's trace level."""

    LAYER = 0
    PHASE = 1
    REQUEST = 2

    @classmethod
    def parse(cls, name: str) -> "Level":
        return cls[name.upper()]


class SpanKind(StrEnum):
    """What a span on the timeline is."""

    FRAME = "frame"
    LAYER = "layer"
    PREPROCESS = "preprocess"
    POSTPROCESS = "postprocess"
    MMIO = "mmio"
    WAIT_IRQ = "wait_irq"
    HOST_OP = "host_op"  # an op of the network that runs on the host CPU
    LOAD = "load"
    COMPUTE = "compute"
    DRAIN = "drain"
    STALL = "stall"
    DMA_TRANSFER = "dma_transfer"
    DMA_REQUEST = "dma_request"
    CPU_REQUEST = "cpu_request"
    NOC_TRANSFER = "noc_transfer"
    SRAM_ACCESS = "sram_access"
    DRAM_ACCESS = "dram_access"


class Action(StrEnum):
    """Activity counted by components and priced by the energy table (unit in the name)."""

    MAC = "mac"
    MAC_GATED = "mac_gated"  # a MAC skipped by find-first (clock-gated)
    SPARSITY_PE_ROUND = "sparsity_pe_round"  # bitmap AND + find-first in one PE, one round
    RF_READ_BYTE = "rf_read_byte"
    RF_WRITE_BYTE = "rf_write_byte"
    ARRAY_DELIVERY_BYTE = "array_delivery_byte"
    SRAM_READ_BYTE = "sram_read_byte"
    SRAM_WRITE_BYTE = "sram_write_byte"
    NOC_BYTE_HOP = "noc_byte_hop"
    DRAM_READ_BYTE = "dram_read_byte"
    DRAM_WRITE_BYTE = "dram_write_byte"
    DRAM_ACTIVATE = "dram_activate"
    DMA_REQUEST = "dma_request"
    CPU_ACTIVE_PS = "cpu_active_ps"
    MMIO_WRITE = "mmio_write"
    # counted for statistics only; they cost no energy of their own
    SRAM_BANK_CONFLICT = "sram_bank_conflict"
    SRAM_CONFLICT_CYCLE = "sram_conflict_cycle"
    MAC_SLOT = "mac_slot"
    DRAM_ACCEPTED_BYTE = "dram_accepted_byte"  # taken by the controller (served later)
    NOC_LINK_BUSY_PS = "noc_link_busy_ps"  # attributed to a link, not a master
    DRAM_ROW_HIT = "dram_row_hit"  # reads and writes
    DRAM_ROW_MISS = "dram_row_miss"
    DRAM_WRITE_ROW_HIT = "dram_write_row_hit"  # of those, the writes
    DRAM_WRITE_ROW_MISS = "dram_write_row_miss"


UNPRICED_ACTIONS = frozenset(
    {
        Action.SRAM_BANK_CONFLICT,
        Action.SRAM_CONFLICT_CYCLE,
        Action.MAC_SLOT,
        Action.DRAM_ROW_HIT,
        Action.DRAM_ROW_MISS,
        Action.DRAM_WRITE_ROW_HIT,
        Action.DRAM_WRITE_ROW_MISS,
        Action.DRAM_ACCEPTED_BYTE,
        Action.NOC_LINK_BUSY_PS,
    }
)
"""Actions that are statistics, not energy; every other action needs an energy entry."""


class StallCause(StrEnum):
    """Why the compute phase of the engine waited."""

    LOAD = "load-bound"
    DRAIN = "drain-bound"
    DMA = "dma-bound"


LAYER_START = "layer_start"  # the instant an engine records when it begins a layer
