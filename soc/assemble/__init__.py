"""The composition root: builds and wires every component from a scenario.

Names are imported from their modules when first used, so that importing one
module of the package does not import all of them (start-up time, issue 10)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from soc.assemble.build import AssembledSoc, assemble, plan_workload

_WHERE = {
    "assemble": "soc.assemble.build",
    "AssembledSoc": "soc.assemble.build",
    "plan_workload": "soc.assemble.build",
}

__all__ = [
    "AssembledSoc",
    "assemble",
    "plan_workload",
]


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
