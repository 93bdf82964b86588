"""The FlexNN accelerator: descriptors, tiling into rounds, and the SimPy engine."""

from soc.flexnn.descriptor import Descriptor
from soc.flexnn.engine import FlexNNEngine
from soc.flexnn.plan import LayerPlan, RoundTable, SramTile, TensorAddrs, build_plan

__all__ = [
    "Descriptor",
    "FlexNNEngine",
    "LayerPlan",
    "RoundTable",
    "SramTile",
    "TensorAddrs",
    "build_plan",
]
