"""The FlexNN accelerator: descriptors, tiling into rounds, and the SimPy engine.

Names are imported from their modules when first used, so that importing one
module of the package does not import all of them (start-up time, issue 10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from soc import lazy_names

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

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
