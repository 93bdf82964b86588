"""Workloads: the layer graph, a zoo of small networks, and loading from config."""

from soc.workloads.layers import Layer, check_chain
from soc.workloads.zoo import ZOO, load_graph, load_workload

__all__ = ["ZOO", "Layer", "check_chain", "load_graph", "load_workload"]
