"""`measure` beside the other sparsity sources: it needs an ONNX model and takes every
layer's tensors, so a second source of values or densities is refused, not ignored."""

import pytest

from soc.config.models import SparsityConfig
from soc.errors import WorkloadError
from soc.plan.sparsity import real_arrays
from soc.workloads import Layer

LAYERS = [Layer("conv1", "conv", c=3, k=8, h=8, w=8)]
MEASURE = {"input": "photo.png"}


@pytest.mark.parametrize(
    ("model", "what"),
    [("zoo:edge_cnn", "'zoo:edge_cnn'"), ("scalesim:t.csv", "'scalesim:t.csv'"), (None, None)],
)
def test_measure_needs_an_onnx_model(model, what):
    sparsity = SparsityConfig(measure=MEASURE)
    with pytest.raises(WorkloadError) as info:
        real_arrays(sparsity, LAYERS, model)
    assert str(info.value) == (
        "workload.sparsity.measure: needs an 'onnx:' workload.model, not "
        f"{what or 'an inline layer list'}"
    )


@pytest.mark.parametrize(
    ("other", "key"),
    [
        ({"arrays": "t.npz"}, "arrays"),
        ({"onnx": "w.onnx"}, "onnx"),
        ({"per_layer": {"conv1": {"weights": 0.5}}}, "per_layer"),
        ({"activations": 0.5}, "activations"),
        ({"weights": 0.3}, "weights"),
        ({"pattern": "nm"}, "pattern"),
    ],
)
def test_a_second_source_beside_measure_is_refused(other, key):
    sparsity = SparsityConfig(measure=MEASURE, **other)
    with pytest.raises(WorkloadError) as info:
        real_arrays(sparsity, LAYERS, "onnx:net.onnx")
    assert str(info.value) == (
        f"workload.sparsity: {key} and measure both set the layers' tensors; keep one"
    )
