"""The composition root: builds and wires every component from a scenario.

Names are imported from their modules when first used, so that importing one
module of the package does not import all of them (start-up time, issue 10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from soc import lazy_names

if TYPE_CHECKING:
    from soc.assemble.build import AssembledSoc, assemble

_WHERE = {
    "assemble": "soc.assemble.build",
    "AssembledSoc": "soc.assemble.build",
}

__all__ = [
    "AssembledSoc",
    "assemble",
]

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
