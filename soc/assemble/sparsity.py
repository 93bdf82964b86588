"""The scenario's sparsity settings turned into per-layer masks, compression ratios
and sparse round latencies."""

from __future__ import annotations

from collections.abc import Sequence

from soc.config import ScenarioConfig
from soc.workloads import Layer
from soc.workloads.tensors import (
    LayerTensors,
    load_arrays,
    synthetic_tensors,
    tensors_from_arrays,
    zvc_bytes,
)


def layer_tensors(scenario: ScenarioConfig, layers: Sequence[Layer]) -> list[LayerTensors]:
    """Masks of every layer: real arrays where the file has them, else synthetic ones
    at the layer's densities (per_layer overrides the global ones)."""
    sparsity = scenario.workload.sparsity
    arrays = load_arrays(sparsity.arrays) if sparsity.arrays is not None else {}
    out = []
    for layer in layers:
        real = tensors_from_arrays(layer, arrays)
        if real is not None:
            out.append(real)
            continue
        density = sparsity.per_layer.get(layer.name)
        d_if = density.activations if density else sparsity.activations
        d_fl = density.weights if density else sparsity.weights
        out.append(
            synthetic_tensors(
                layer, d_if, d_fl, sparsity.pattern, scenario.seed, sparsity.n, sparsity.m
            )
        )
    return out


def _ratio(elements: int, nonzeros: int, element_bytes: int) -> float:
    """Compressed / dense size; data that would grow is left uncompressed."""
    if elements == 0:
        return 1.0
    return min(1.0, zvc_bytes(elements, nonzeros, element_bytes) / (elements * element_bytes))


def compression_ratios(
    layers: Sequence[Layer], tensors: Sequence[LayerTensors], data_bytes: int
) -> list[dict[str, float]]:
    """Per layer: IF, FL and OF size ratios under zero-value compression. A layer's
    outputs compress like the input of the layer that consumes them (dense if none)."""
    consumer_density: dict[str, LayerTensors] = {}
    previous = None
    for layer, t in zip(layers, tensors, strict=True):
        source = layer.source if layer.source is not None else previous
        if source is not None:
            consumer_density.setdefault(source, t)
        previous = layer.name
    out = []
    for layer, t in zip(layers, tensors, strict=True):
        consumer = consumer_density.get(layer.name)
        of_ratio = 1.0
        if consumer is not None:
            of_ratio = _ratio(consumer.ifmap.size, int(consumer.ifmap.sum()), data_bytes)
        out.append(
            {
                "IF": _ratio(t.ifmap.size, int(t.ifmap.sum()), data_bytes),
                "FL": _ratio(t.weights.size, int(t.weights.sum()), data_bytes),
                "OF": of_ratio,
            }
        )
    return out
