"""The FlexNN accelerator: descriptors, tiling into rounds, and the SimPy engine.

Names are imported from their modules when first used, so that importing one
module of the package does not import all of them (start-up time, issue 10)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from soc.flexnn.descriptor import Descriptor
    from soc.flexnn.engine import FlexNNEngine
    from soc.flexnn.plan import LayerPlan, RoundTable, SramTile, TensorAddrs, build_plan

_WHERE = {
    "build_plan": "soc.flexnn.plan",
    "Descriptor": "soc.flexnn.descriptor",
    "FlexNNEngine": "soc.flexnn.engine",
    "LayerPlan": "soc.flexnn.plan",
    "RoundTable": "soc.flexnn.plan",
    "SramTile": "soc.flexnn.plan",
    "TensorAddrs": "soc.flexnn.plan",
}

__all__ = [
    "Descriptor",
    "FlexNNEngine",
    "LayerPlan",
    "RoundTable",
    "SramTile",
    "TensorAddrs",
    "build_plan",
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
