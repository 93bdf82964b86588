"""The scenario's sparsity settings turned into per-layer masks, compression ratios
and sparse round latencies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from soc.config import ScenarioConfig
from soc.config.models import SparsityConfig
from soc.errors import WorkloadError
from soc.workloads import Layer
from soc.workloads.tensors import (
    LayerTensors,
    check_array_keys,
    load_arrays,
    onnx_initializers,
    onnx_weights,
    synthetic_tensors,
    tensors_from_arrays,
    zvc_bytes,
)


def real_arrays(
    sparsity: SparsityConfig, layers: Sequence[Layer], model: str | None = None
) -> dict[str, np.ndarray]:
    """Real values keyed '<layer>.IF|FL': the .npz `arrays` plus the FL tensors of the
    `onnx` model's initializers, or every layer's tensors `measure`d by running the
    workload's `model` ('onnx:<path>') on a real input. A layer's FL given by both
    `arrays` and `onnx` is refused, since neither would be an obvious winner."""
    layers = list(layers)
    if sparsity.measure is not None:
        return _measured(sparsity, layers, model)
    arrays = load_arrays(sparsity.arrays) if sparsity.arrays is not None else {}
    check_array_keys(arrays, layers)
    if sparsity.onnx is None:
        return arrays
    weights = onnx_weights(layers, onnx_initializers(sparsity.onnx), sparsity.onnx_names)
    both = [key for key in weights if key in arrays]
    if both:
        layer = both[0].removesuffix(".FL")
        raise WorkloadError(
            f"workload.sparsity: layer {layer}: FL values come from both arrays "
            f"({both[0]!r}) and onnx; keep one of them"
        )
    return {**arrays, **weights}


def _measured(
    sparsity: SparsityConfig, layers: list[Layer], model: str | None
) -> dict[str, np.ndarray]:
    """`measure`: the model's own tensors for every layer, so no other source of values
    or densities may be given with it (it would be silently ignored)."""
    kind, _, path = (model or "").partition(":")
    if kind != "onnx":
        what = repr(model) if model else "an inline layer list"
        raise WorkloadError(
            f"workload.sparsity.measure: needs an 'onnx:' workload.model, not {what}"
        )
    others = {
        "arrays": sparsity.arrays is not None,
        "onnx": sparsity.onnx is not None,
        "per_layer": bool(sparsity.per_layer),
        "activations": sparsity.activations != 1.0,
        "weights": sparsity.weights != 1.0,
        "pattern": sparsity.pattern != "uniform",
    }
    clash = next((key for key, given in others.items() if given), None)
    if clash is not None:
        raise WorkloadError(
            f"workload.sparsity: {clash} and measure both set the layers' tensors; keep one"
        )
    from soc.workloads.activations import measured_arrays  # loads onnx: only when measuring

    return measured_arrays(path, sparsity.measure, layers)


def layer_tensors(scenario: ScenarioConfig, layers: Sequence[Layer]) -> list[LayerTensors]:
    """Masks of every layer: real values where `arrays`, `onnx` or `measure` give them,
    tensor by tensor; else synthetic ones at the layer's densities (per_layer overrides
    the global ones)."""
    sparsity = scenario.workload.sparsity
    arrays = real_arrays(sparsity, layers, scenario.workload.model)
    out = []
    for layer in layers:
        density = sparsity.per_layer.get(layer.name)
        d_if = density.activations if density else sparsity.activations
        d_fl = density.weights if density else sparsity.weights
        given = [f"{layer.name}.{t}" in arrays for t in ("IF", "FL")]
        synthetic = None
        if not all(given):
            synthetic = synthetic_tensors(
                layer, d_if, d_fl, sparsity.pattern, scenario.seed, sparsity.n, sparsity.m
            )
        real = tensors_from_arrays(layer, arrays, synthetic) if any(given) else None
        out.append(real if real is not None else synthetic)
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
