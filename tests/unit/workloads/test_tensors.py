"""Masks, bitmaps, ZVC sizes, synthetic patterns and array loading."""

import numpy as np
import pytest

from soc.errors import WorkloadError
from soc.workloads import Layer
from soc.workloads.tensors import (
    ZVC_HEADER_BYTES,
    bitmap,
    load_arrays,
    synthetic_mask,
    synthetic_tensors,
    tensors_from_arrays,
    zvc_bytes,
)

LAYER = Layer("conv2", "conv", c=8, k=16, h=10, w=10, r=3, s=3, padding=1)


def test_bitmap_packs_eight_elements_per_byte():
    mask = np.array([1, 0, 1, 1, 0, 0, 0, 1, 1], bool)
    assert bitmap(mask).tolist() == [0b10110001, 0b10000000]


def test_zvc_size_by_hand():
    # 1000 INT8 elements, 300 non-zero: 300 B values + 125 B bitmap + header
    assert zvc_bytes(1000, 300, 1) == 300 + 125 + ZVC_HEADER_BYTES


def test_uniform_density_and_seeding():
    a = synthetic_tensors(LAYER, 0.3, 0.6, "uniform", seed=5)
    b = synthetic_tensors(LAYER, 0.3, 0.6, "uniform", seed=5)
    c = synthetic_tensors(LAYER, 0.3, 0.6, "uniform", seed=6)
    assert (a.ifmap == b.ifmap).all() and not (a.ifmap == c.ifmap).all()
    assert a.if_density == pytest.approx(0.3, abs=0.05)  # 800 samples
    assert a.fl_density == pytest.approx(0.6, abs=0.05)  # 1152 samples


def test_n_of_m_keeps_n_in_every_group_of_m_input_channels():
    mask = synthetic_mask((4, 8, 3, 3), 0.5, "nm", np.random.default_rng(0), n=2, m=4)
    groups = mask.reshape(4, 2, 4, 3, 3).sum(axis=2)
    assert (groups == 2).all()


def test_channel_clustered_densities_vary_by_channel():
    mask = synthetic_mask((64, 32, 32), 0.5, "channel", np.random.default_rng(1))
    per_channel = mask.mean(axis=(1, 2))
    assert mask.mean() == pytest.approx(0.5, abs=0.1)
    assert per_channel.std() > 0.2  # uniform would give ~0.016


def test_arrays_with_the_wrong_shape_are_refused():
    arrays = {"conv2.IF": np.ones((8, 10, 10)), "conv2.FL": np.ones((16, 8, 3))}
    with pytest.raises(WorkloadError) as info:
        tensors_from_arrays(LAYER, arrays)
    assert str(info.value) == (
        "layer conv2: FL has shape (16, 8, 3), the layer needs (16, 8, 3, 3)"
    )


def test_arrays_round_trip_through_npz(tmp_path):
    rng = np.random.default_rng(2)
    ifmap = rng.integers(-2, 3, (8, 10, 10))
    weights = rng.integers(-1, 2, (16, 8, 3, 3))
    np.savez(tmp_path / "t.npz", **{"conv2.IF": ifmap, "conv2.FL": weights})
    t = tensors_from_arrays(LAYER, load_arrays(tmp_path / "t.npz"))
    assert (t.ifmap == (ifmap != 0)).all() and (t.weights == (weights != 0)).all()
    assert (
        tensors_from_arrays(Layer("other", "fc", c=4, k=2), load_arrays(tmp_path / "t.npz")) is None
    )
    with pytest.raises(WorkloadError, match="no such array file"):
        load_arrays(tmp_path / "missing.npz")


def _onnx_model(path, initializers):
    onnx = pytest.importorskip("onnx")
    from onnx import helper, numpy_helper

    inits = [
        numpy_helper.from_array(a.astype(np.float32), name) for name, a in initializers.items()
    ]
    graph = helper.make_graph([], "g", [], [], initializer=inits)
    onnx.save(helper.make_model(graph), str(path))


def test_onnx_initializers_become_layer_weights(tmp_path):
    from soc.workloads.tensors import onnx_initializers, onnx_weights

    conv = np.zeros((16, 8, 3, 3))
    conv[:, :4] = 1.0  # half the input channels pruned
    fc = np.eye(4, 6)
    _onnx_model(tmp_path / "m.onnx", {"conv2.weight": conv, "head": fc})
    layers = [LAYER, Layer("fc9", "fc", c=6, k=4)]
    arrays = onnx_weights(layers, onnx_initializers(tmp_path / "m.onnx"), {"fc9": "head"})
    assert sorted(arrays) == ["conv2.FL", "fc9.FL"]
    assert arrays["fc9.FL"].shape == (4, 6, 1, 1)  # Gemm weights gain 1 x 1 kernel axes
    fallback = synthetic_tensors(LAYER, 0.3, 0.3, "uniform", seed=1)
    t = tensors_from_arrays(LAYER, arrays, fallback)
    assert t.fl_density == 0.5  # from the model
    assert (t.ifmap == fallback.ifmap).all()  # no IF values given: synthetic
    with pytest.raises(WorkloadError, match="layer fc9: the ONNX model has no initializer 'x'"):
        onnx_weights(layers, onnx_initializers(tmp_path / "m.onnx"), {"fc9": "x"})
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    with pytest.raises(WorkloadError, match="not a readable ONNX model"):
        onnx_initializers(tmp_path / "bad.onnx")
