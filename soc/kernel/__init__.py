"""Thin layer over SimPy: integer-ps time, clocks, ports, per-component RNG, logging."""

from soc.kernel.clock import ClockDomain
from soc.kernel.component import Component, elaborate
from soc.kernel.ports import MemRequest, Port
from soc.kernel.recorder import NullRecorder, Recorder
from soc.kernel.vocab import Action, Level, SpanKind, StallCause

__all__ = [
    "Action",
    "ClockDomain",
    "Component",
    "Level",
    "MemRequest",
    "NullRecorder",
    "Port",
    "Recorder",
    "SpanKind",
    "StallCause",
    "elaborate",
]
