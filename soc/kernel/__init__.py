"""Thin layer over SimPy: integer-ps time, clocks, ports, per-component RNG, logging.

Names are imported from their modules when first used, so that importing one
module of the package does not import all of them (start-up time, issue 10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from soc import lazy_names

if TYPE_CHECKING:
    from soc.kernel.clock import ClockDomain
    from soc.kernel.component import Component, elaborate
    from soc.kernel.ports import MemRequest, Port
    from soc.kernel.recorder import NullRecorder, Recorder
    from soc.kernel.vocab import Action, Level, SpanKind, StallCause

_WHERE = {
    "Action": "soc.kernel.vocab",
    "ClockDomain": "soc.kernel.clock",
    "Component": "soc.kernel.component",
    "elaborate": "soc.kernel.component",
    "Level": "soc.kernel.vocab",
    "MemRequest": "soc.kernel.ports",
    "NullRecorder": "soc.kernel.recorder",
    "Port": "soc.kernel.ports",
    "Recorder": "soc.kernel.recorder",
    "SpanKind": "soc.kernel.vocab",
    "StallCause": "soc.kernel.vocab",
}

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

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
