"""Measured activations: the tensors every layer reads, taken from onnxruntime, with the
importer's folds applied to the weights; the input's preprocessing; bad inputs."""

import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from soc.config.measure import MeasureConfig
from soc.errors import WorkloadError
from soc.workloads.activations import measured_arrays
from soc.workloads.onnx_import import load_onnx
from tests.unit.workloads import measure_fixtures as fx

pytest.importorskip("onnxruntime")
pytest.importorskip("PIL")


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    """The fixture CNN, its weights, its layers and what measuring it on the photo gives."""
    w = fx.weights()
    path = fx.save(tmp_path_factory.mktemp("cnn") / "cnn.onnx", w)
    layers = load_onnx(path).layers
    measure = MeasureConfig(input=fx.grace_hopper(), mean=fx.MEAN, std=fx.STD)
    return path, w, layers, measured_arrays(path, measure, layers)


def test_the_first_relu_layers_if_density_is_the_positive_fraction(cnn):
    _, w, _, arrays = cnn
    relu1 = fx.ort_values(w, fx.image_tensor(), ("relu1",))["relu1"]
    positive = float((relu1 > 0).mean())
    assert 0.1 < positive < 0.9  # a real mix of zeros and non-zeros
    assert float((arrays["dw2.IF"] != 0).mean()) == positive
    # the IF is the tensor before the Pad the conv took over: C x H x W of relu1
    assert arrays["dw2.IF"].shape == (8, fx.SIZE, fx.SIZE)


def test_every_layer_reads_the_tensor_onnxruntime_makes(cnn):
    _, w, layers, arrays = cnn
    x = fx.image_tensor()
    values = fx.ort_values(w, x, ("relu1", "relu2", "flat"))
    values["image"] = x
    for layer in layers:
        want = values[fx.INPUTS[layer.name]].reshape(arrays[f"{layer.name}.IF"].shape)
        np.testing.assert_array_equal(arrays[f"{layer.name}.IF"], want, err_msg=layer.name)


def test_folded_batch_norm_scales_the_filters_and_a_zero_gamma_empties_one(cnn):
    _, w, _, arrays = cnn
    fl = arrays["conv1.FL"]
    folded = w.conv1 * (w.gamma / np.sqrt(w.var + fx.EPS)).reshape(-1, 1, 1, 1)
    np.testing.assert_allclose(fl, folded, rtol=1e-6)
    assert not fl[5].any()  # gamma 0
    assert ((fl != 0) == (folded != 0)).all()
    # Gemm with transB: K x C, as given
    np.testing.assert_array_equal(arrays["fc4.FL"][:, :, 0, 0], w.fc4)


def test_a_npy_input_is_the_model_input_as_is(cnn, tmp_path):
    path, _, layers, arrays = cnn
    np.save(tmp_path / "x.npy", fx.image_tensor()[0])  # without the batch axis
    again = measured_arrays(path, MeasureConfig(input=tmp_path / "x.npy"), layers)
    assert again.keys() == arrays.keys()
    for key in arrays:
        np.testing.assert_array_equal(again[key], arrays[key], err_msg=key)


def test_resize_then_centre_crop(cnn):
    path, _, layers, _ = cnn
    measure = MeasureConfig(input=fx.grace_hopper(), resize=(40, 48), scale=1.0)
    arrays = measured_arrays(path, measure, layers)
    from PIL import Image

    with Image.open(fx.grace_hopper()) as image:
        big = np.asarray(image.convert("RGB").resize((48, 40), Image.Resampling.BILINEAR))
    crop = big[4:36, 8:40].astype(np.float32).transpose(2, 0, 1)  # (40-32)/2, (48-32)/2
    np.testing.assert_array_equal(arrays["conv1.IF"], crop)


def test_mul_scale_and_matmul_weights(tmp_path):
    """A per-channel Mul folded into a conv scales its filters (a zero empties one); a
    MatMul's C x K weight becomes K x C."""
    rng = np.random.default_rng(1)
    conv_w = rng.normal(size=(4, 3, 1, 1)).astype(np.float32)
    factor = np.array([2.0, 0.0, -1.0, 0.5], np.float32).reshape(1, 4, 1, 1)
    fc_w = rng.normal(size=(4 * 4 * 4, 5)).astype(np.float32)
    f = numpy_helper.from_array
    nodes = [
        helper.make_node("Conv", ["x", "cw"], ["c"], name="conv", kernel_shape=[1, 1]),
        helper.make_node("Mul", ["c", "k"], ["m"], name="scale"),
        helper.make_node("Relu", ["m"], ["r"], name="relu"),
        helper.make_node("Flatten", ["r"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", "fw"], ["y"], name="fc"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 3, 4, 4))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (1, 5))],
        initializer=[f(conv_w, "cw"), f(factor, "k"), f(fc_w, "fw")],
    )
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    x = rng.normal(size=(1, 3, 4, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    layers = load_onnx(path).layers
    arrays = measured_arrays(path, MeasureConfig(input=tmp_path / "x.npy"), layers)
    np.testing.assert_allclose(arrays["conv.FL"], conv_w * factor.reshape(4, 1, 1, 1))
    assert not arrays["conv.FL"][1].any()
    np.testing.assert_array_equal(arrays["fc.FL"][:, :, 0, 0], fc_w.T)
    np.testing.assert_array_equal(arrays["conv.IF"], x[0])
    relu = np.maximum(np.einsum("kc,chw->khw", conv_w[:, :, 0, 0], x[0]) * factor[0], 0)
    np.testing.assert_allclose(arrays["fc.IF"].reshape(4, 4, 4), relu, rtol=1e-5, atol=1e-6)


# --- refusals -----------------------------------------------------------------------


def test_a_npy_of_the_wrong_shape_is_refused(cnn, tmp_path):
    path, _, layers, _ = cnn
    np.save(tmp_path / "x.npy", np.zeros((3, 16, 16), np.float32))
    with pytest.raises(WorkloadError) as info:
        measured_arrays(path, MeasureConfig(input=tmp_path / "x.npy"), layers)
    assert str(info.value) == (
        f"workload.sparsity.measure.input: {tmp_path / 'x.npy'}: shape 1x3x16x16 is not the "
        "model input's 1x3x32x32"
    )


def test_a_mean_per_channel_must_match_the_channels(cnn):
    path, _, layers, _ = cnn
    measure = MeasureConfig(input=fx.grace_hopper(), mean=(0.5, 0.5))
    with pytest.raises(WorkloadError, match=r"measure\.mean: 2 values for an input of 3 channels"):
        measured_arrays(path, measure, layers)


def test_a_grey_image_for_a_colour_model_is_refused(cnn):
    path, _, layers, _ = cnn
    measure = MeasureConfig(input=fx.grace_hopper(), channels="L")
    with pytest.raises(WorkloadError, match=r"measure\.channels: L gives 1 channels"):
        measured_arrays(path, measure, layers)


def test_without_onnxruntime_the_user_is_told_what_to_install(cnn, monkeypatch):
    path, _, layers, _ = cnn
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import raises ImportError
    with pytest.raises(WorkloadError) as info:
        measured_arrays(path, MeasureConfig(input=fx.grace_hopper()), layers)
    assert str(info.value) == (
        "workload.sparsity.measure: running the model needs onnxruntime "
        "(pip install 'flexsoc[real]')"
    )
