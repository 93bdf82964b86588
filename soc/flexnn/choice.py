"""What the mapper chooses, without the search: the types and constants that a mapping
read from the cache needs, in a module that does not import numpy (start-up time of a
warm `soc map`, issue 10). The search is in `soc.flexnn.mapper`."""

from __future__ import annotations

from dataclasses import dataclass

from soc.flexnn.cost import Cost
from soc.flexnn.descriptor import Descriptor
from soc.workloads import Layer

# part of every mapping cache key: bump it when the mapper's search space or ranking changes
MAPPER_VERSION = 1
OBJECTIVES = ("energy", "latency", "edp")
FIXED = ("is", "ws", "os", "rs")


@dataclass(frozen=True)
class Choice:
    descriptor: Descriptor
    cost: Cost


@dataclass(frozen=True)
class LayerMapping:
    """The flexible choice for a layer and the best of each fixed dataflow (None where
    the dataflow does not fit the layer)."""

    layer: Layer
    best: Choice
    baselines: dict[str, Choice | None]
