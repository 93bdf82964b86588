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
        "workload.sparsity.arrays: layer conv2: FL has shape (16, 8, 3), "
        "the layer needs (16, 8, 3, 3)"
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
    with pytest.raises(
        WorkloadError, match="workload.sparsity.arrays: .*missing.npz: no such file"
    ):
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
    with pytest.raises(WorkloadError) as info:
        onnx_weights(layers, onnx_initializers(tmp_path / "m.onnx"), {"fc9": "x"})
    assert str(info.value) == (
        "workload.sparsity.onnx_names.fc9: the ONNX model has no initializer 'x' "
        "(initializers: conv2.weight, head)"
    )
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    with pytest.raises(
        WorkloadError, match="workload.sparsity.onnx: .*bad.onnx: not an ONNX model"
    ):
        onnx_initializers(tmp_path / "bad.onnx")


def test_onnx_names_must_name_a_layer_and_known_names_are_abbreviated(tmp_path):
    from soc.workloads.tensors import onnx_weights

    layers = [Layer(f"l{i}", "fc", c=2, k=2) for i in range(10)]
    with pytest.raises(WorkloadError) as info:
        onnx_weights(layers, {"w": np.ones((2, 2))}, {"fc5": "w"})
    assert str(info.value) == (
        "workload.sparsity.onnx_names.fc5: no such layer "
        "(layers: l0, l1, l2, l3, l4, l5, l6, l7, ... (10 in all))"
    )


def test_onnx_initializer_of_the_wrong_shape_names_layer_initializer_and_shapes():
    from soc.workloads.tensors import onnx_weights

    with pytest.raises(WorkloadError) as info:
        onnx_weights([LAYER], {"conv2.weight": np.ones((16, 8, 5, 5))}, {})
    assert str(info.value) == (
        "workload.sparsity.onnx: layer conv2: initializer 'conv2.weight' has shape "
        "(16, 8, 5, 5), the layer's FL needs (16, 8, 3, 3)"
    )


def test_onnx_model_whose_initializers_match_no_layer_is_refused():
    from soc.workloads.tensors import onnx_weights

    with pytest.raises(WorkloadError, match="no initializer is a layer's weight .*bias, w1"):
        onnx_weights([LAYER], {"w1": np.ones(3), "bias": np.ones(3)}, {})


@pytest.mark.parametrize("name", ["conv9.FL", "conv2.OF", "weights"])
def test_array_keys_must_name_a_layer_and_a_tensor_kind(name):
    from soc.workloads.tensors import check_array_keys

    check_array_keys({"conv2.IF": np.ones(1), "conv2.FL": np.ones(1)}, [LAYER])
    with pytest.raises(WorkloadError, match=f"workload.sparsity.arrays: array '{name}' names no"):
        check_array_keys({name: np.ones(1)}, [LAYER])


def test_foreign_files_and_directories_are_refused(tmp_path):
    from soc.workloads.tensors import onnx_initializers

    (tmp_path / "empty.onnx").write_bytes(b"")  # protobuf parses this as an empty model
    (tmp_path / "text.npz").write_text("root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(WorkloadError, match="empty.onnx: not an ONNX model"):
        onnx_initializers(tmp_path / "empty.onnx")
    with pytest.raises(WorkloadError, match=": is a directory, not an ONNX model$"):
        onnx_initializers(tmp_path)
    with pytest.raises(WorkloadError, match="text.npz: not an .npz or .npy file"):
        load_arrays(tmp_path / "text.npz")
    with pytest.raises(WorkloadError, match=": is a directory, not an .npz or .npy file$"):
        load_arrays(tmp_path)


def test_onnx_weights_saved_as_external_data_are_read(tmp_path):
    from soc.workloads.tensors import onnx_initializers

    onnx = pytest.importorskip("onnx")
    from onnx import helper, numpy_helper

    weights = np.zeros((16, 8, 3, 3), np.float32)
    weights[0] = 1.0  # one filter of sixteen
    graph = helper.make_graph(
        [], "g", [], [], initializer=[numpy_helper.from_array(weights, "conv2.weight")]
    )
    onnx.save(
        helper.make_model(graph),
        str(tmp_path / "m.onnx"),
        save_as_external_data=True,
        location="m.bin",
        size_threshold=0,
    )
    assert (onnx_initializers(tmp_path / "m.onnx")["conv2.weight"] != 0).mean() == 1 / 16
    (tmp_path / "m.bin").unlink()
    with pytest.raises(WorkloadError, match="m.onnx: cannot read its weights"):
        onnx_initializers(tmp_path / "m.onnx")
