"""SimPy components of the SoC: CPU, DMA, NoC, SRAM banks, DRAM."""

from soc.hw.banked_dram import BankedDram
from soc.hw.cpu import HostCpu, HostWork, Program
from soc.hw.dma import DmaEngine
from soc.hw.dram import SimpleDram
from soc.hw.fluid_dram import FluidDram
from soc.hw.masters import build_master, master_buffer_bytes
from soc.hw.noc import Crossbar, RoutedNoc
from soc.hw.sram import SramBanks, bank_bytes

__all__ = [
    "BankedDram",
    "Crossbar",
    "DmaEngine",
    "FluidDram",
    "HostCpu",
    "HostWork",
    "RoutedNoc",
    "SimpleDram",
    "SramBanks",
    "bank_bytes",
    "build_master",
    "master_buffer_bytes",
    "Program",
]
