"""Measured sparsity: run an ONNX model on one real input with onnxruntime and keep the
values every accelerator layer reads.

`measured_arrays(model, measure, layers)` returns '<layer>.IF' (C x H x W) and
'<layer>.FL' (K x C/groups x R x S) for every layer of `layers`, the same keys as a
`workload.sparsity.arrays` file, so the sparsity model takes them as it takes real
arrays.

Which ONNX tensors those are comes from the importer itself (`OnnxImporter`): a layer is
the conv / Gemm / MatMul node the importer named after it; its IF is that node's first
input, or the input of a zero Pad the importer folded into the conv (the layer's padding
then holds the pad, and the sparsity model pads with zeros). Its FL is the node's
weight, as the accelerator holds it once the importer's folds are applied: a
BatchNormalization folded into the layer scales filter k by gamma_k / sqrt(var_k + eps),
a folded Mul / Div by a constant scales it too (bias adds do not touch the weights), and
Gemm's alpha scales every weight. So a filter's zeros are the ONNX weight's zeros, plus
the whole filter wherever its folded scale is 0 (a pruned BN channel, gamma = 0).

The model runs with onnxruntime's graph optimisations off (the tensors are the model's
own, not those of a fused graph) on one thread (the same values on every run), with
every tensor a layer reads added to the graph's outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from soc.config.measure import MeasureConfig
from soc.errors import WorkloadError
from soc.limits import check_input_file
from soc.workloads.layers import Layer
from soc.workloads.npy_files import read_npy
from soc.workloads.onnx_import import OnnxImporter
from soc.workloads.tensors import fl_shape, if_shape, known_names

MEASURE_KEY = "workload.sparsity.measure"
INPUT_KEY = f"{MEASURE_KEY}.input"
INSTALL = "pip install 'flexsoc[real]'"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- the model and its layers -----------------------------------------------------------


def _import(path: Path) -> OnnxImporter:
    """The importer's state after importing `path` (its weights loaded)."""
    from soc.workloads.onnx_import import read_model

    model = read_model(path)
    try:  # weights saved beside the model: the importer's constants need their values
        from onnx.external_data_helper import load_external_data_for_model

        load_external_data_for_model(model, str(path.parent))
    except Exception as exc:  # onnx raises several types for a missing or short file
        raise WorkloadError(f"{path}: cannot read its weights ({_first_line(exc)})") from None
    importer = OnnxImporter(path, model)
    importer.run()
    return importer


def _attr(node, key: str, default: object) -> object:
    from onnx import helper

    for a in node.attribute:
        if a.name == key:
            return helper.get_attribute_value(a)
    return default


def _const(importer: OnnxImporter, name: str) -> np.ndarray:
    try:
        return np.asarray(importer.consts.value(name), dtype=np.float64)
    except ValueError as e:
        raise WorkloadError(f"{importer.file}: {e}") from None


def _weight(importer: OnnxImporter, node, layer: Layer) -> np.ndarray:
    """The node's weight as K x C/groups x R x S (fc: K x C x 1 x 1), before folds."""
    w = _const(importer, node.input[1])
    if node.op_type == "Gemm":
        w = (w if _attr(node, "transB", 0) else w.T) * float(_attr(node, "alpha", 1.0))
    elif node.op_type == "MatMul":
        w = w.T
    return w.reshape(fl_shape(layer))


def _folded_scale(importer: OnnxImporter, layer: Layer) -> np.ndarray:
    """Per filter: the product of the scales the importer folded into `layer` (the ops
    whose output it maps to the layer's own output tensor)."""
    scale = np.ones(layer.k)
    for node in importer.graph.node:
        if not node.output or importer.tensor.get(node.output[0]) != layer.name:
            continue
        if node.op_type == "BatchNormalization":
            gamma, var = _const(importer, node.input[1]), _const(importer, node.input[4])
            scale = (
                scale * gamma.reshape(-1) / np.sqrt(var.reshape(-1) + _attr(node, "epsilon", 1e-5))
            )
        elif node.op_type in ("Mul", "Div"):
            const = next(t for t in node.input if t not in importer.tensor)
            factor = np.broadcast_to(_const(importer, const).reshape(-1), (layer.k,))
            scale = scale * (factor if node.op_type == "Mul" else 1.0 / factor)
    return scale


def layer_sources(
    importer: OnnxImporter, layers: Sequence[Layer]
) -> dict[str, tuple[str, np.ndarray]]:
    """Per layer: the ONNX tensor its IF is, and its FL values (folds applied)."""
    wanted = {layer.name: layer for layer in layers}
    out = {}
    for index, node in enumerate(importer.graph.node):
        layer = wanted.get(importer.names[index])
        if layer is None:
            continue
        source = node.input[0]
        if source in importer.folded_pads:  # a zero Pad the conv's padding took over
            source = importer.folded_pads[source][0]
        scale = _folded_scale(importer, layer).reshape(-1, 1, 1, 1)
        out[layer.name] = (source, _weight(importer, node, layer) * scale)
    missing = [name for name in wanted if name not in out]
    if missing:
        raise WorkloadError(f"{importer.file}: no ONNX node makes layer {missing[0]}")
    return out


# --- the input ------------------------------------------------------------------------


def _model_input(model) -> tuple[str, list[int], np.dtype]:
    """The model's one input (not an initializer): its name, dims and numpy dtype (the
    importer has fixed a symbolic batch to 1 and refused any other symbolic axis)."""
    from onnx import helper

    constant = {i.name for i in model.graph.initializer}
    inputs = [vi for vi in model.graph.input if vi.name not in constant]
    if len(inputs) != 1:
        names = known_names([vi.name for vi in inputs])
        raise WorkloadError(
            f"{MEASURE_KEY}: the model has {len(inputs)} inputs ({names}); measure feeds one"
        )
    ttype = inputs[0].type.tensor_type
    dims = [int(d.dim_value) for d in ttype.shape.dim]
    return inputs[0].name, dims, np.dtype(helper.tensor_dtype_to_np_dtype(ttype.elem_type))


def _check_file(path: Path) -> None:
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "no such file"
        raise WorkloadError(f"{INPUT_KEY}: {path}: {what}")


def load_image(path: Path, channels: str, size: tuple[int, int]) -> np.ndarray:
    """The image's pixels, H x W x C (float32, 0..255), converted to `channels` and
    resized to `size` (H, W) with Pillow's bilinear filter."""
    _check_file(path)
    try:
        from PIL import Image
    except ImportError:
        raise WorkloadError(f"{INPUT_KEY}: reading an image needs Pillow ({INSTALL})") from None
    check_input_file(path, INPUT_KEY)
    try:
        with Image.open(path) as image:
            image = image.convert("L" if channels == "L" else "RGB")
            image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            pixels = np.asarray(image, dtype=np.float32)
    except Exception as exc:  # Pillow's decoders raise many types for a damaged file
        raise WorkloadError(
            f"{INPUT_KEY}: {path}: not an image Pillow reads ({_first_line(exc)})"
        ) from None
    if channels == "L":
        return pixels[..., None]
    return pixels[..., ::-1] if channels == "BGR" else pixels


def _per_channel(values: tuple[float, ...], c: int, key: str) -> np.ndarray:
    if len(values) not in (1, c):
        raise WorkloadError(
            f"{MEASURE_KEY}.{key}: {len(values)} values for an input of {c} channels"
        )
    return np.asarray(values, dtype=np.float32)


def image_input(measure: MeasureConfig, dims: Sequence[int]) -> np.ndarray:
    """The preprocessed image as a 1 x C x H x W (or 1 x H x W x C) float32 tensor: resized
    to the model input's H x W, or to `resize` and then cropped to it from the centre."""
    if len(dims) != 4:
        raise WorkloadError(
            f"{MEASURE_KEY}: the model input has {len(dims)} axes; an image feeds a 4-D "
            f"{measure.layout} input (give a .npy input tensor instead)"
        )
    c, h, w = dims[1:] if measure.layout == "NCHW" else (dims[3], dims[1], dims[2])
    wanted_c = 1 if measure.channels == "L" else 3
    if c != wanted_c:
        raise WorkloadError(
            f"{MEASURE_KEY}.channels: {measure.channels} gives {wanted_c} channels, the model "
            f"input ({measure.layout}) has {c}"
        )
    if measure.resize is not None and (measure.resize[0] < h or measure.resize[1] < w):
        raise WorkloadError(
            f"{MEASURE_KEY}.resize: {list(measure.resize)} is smaller than the model input's "
            f"H x W ({h} x {w}), which is cropped from its centre"
        )
    pixels = load_image(measure.input, measure.channels, measure.resize or (h, w))
    top, left = (pixels.shape[0] - h) // 2, (pixels.shape[1] - w) // 2
    pixels = pixels[top : top + h, left : left + w]
    mean = _per_channel(measure.mean, wanted_c, "mean")
    std = _per_channel(measure.std, wanted_c, "std")
    x = (pixels / np.float32(measure.scale) - mean) / std
    x = x.transpose(2, 0, 1) if measure.layout == "NCHW" else x
    return x[None].astype(np.float32)


def npy_input(path: Path, dims: Sequence[int]) -> np.ndarray:
    """A .npy holding the model's input tensor as is (its batch axis may be left out)."""
    _check_file(path)
    x = read_npy(path, INPUT_KEY)
    if x.dtype.kind not in "biuf":
        raise WorkloadError(f"{INPUT_KEY}: {path}: dtype {x.dtype} is not numbers")
    if x.ndim == len(dims) - 1:
        x = x[None]
    if tuple(x.shape) != tuple(dims):
        given, wanted = "x".join(map(str, x.shape)), "x".join(map(str, dims))
        raise WorkloadError(f"{INPUT_KEY}: {path}: shape {given} is not the model input's {wanted}")
    return x


# --- running it -------------------------------------------------------------------------


def _with_outputs(model, names: Sequence[str]):
    """A copy of `model` whose graph also outputs the tensors `names` (their types from
    ONNX shape inference, float if it gives none)."""
    import onnx
    from onnx import TensorProto, helper, shape_inference

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    try:
        inferred = shape_inference.infer_shapes(probe).graph
        known = {vi.name: vi for vi in [*inferred.value_info, *inferred.output]}
    except Exception:  # inference is only for the types; onnxruntime checks the rest
        known = {}
    present = {o.name for o in probe.graph.output}
    for name in names:
        if name not in present:
            vi = known.get(name) or helper.make_tensor_value_info(name, TensorProto.FLOAT, None)
            probe.graph.output.append(vi)
            present.add(name)
    return probe


def run_model(model, feed: str, x: np.ndarray, names: Sequence[str], file: str) -> dict:
    """The values of tensors `names` when onnxruntime runs `model` on {feed: x}."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise WorkloadError(
            f"{MEASURE_KEY}: running the model needs onnxruntime ({INSTALL})"
        ) from None
    wanted = [n for n in dict.fromkeys(names) if n != feed]
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: the message below says what failed
    try:
        session = ort.InferenceSession(
            _with_outputs(model, wanted).SerializeToString(),
            options,
            providers=["CPUExecutionProvider"],
        )
        values = session.run(wanted, {feed: x})
    except Exception as exc:  # onnxruntime raises its own exception types
        raise WorkloadError(
            f"{MEASURE_KEY}: onnxruntime cannot run {file} ({_first_line(exc)})"
        ) from None
    return {feed: x, **dict(zip(wanted, values, strict=True))}


def measured_arrays(
    model_path: Path | str, measure: MeasureConfig, layers: Sequence[Layer]
) -> dict[str, np.ndarray]:
    """'<layer>.IF' and '<layer>.FL' of every layer in `layers`, measured by running the
    ONNX model at `model_path` on `measure`'s input."""
    path = Path(model_path)
    importer = _import(path)
    sources = layer_sources(importer, layers)
    feed, dims, dtype = _model_input(importer.model)
    if measure.input.suffix.lower() == ".npy":
        x = npy_input(measure.input, dims)
    else:
        x = image_input(measure, dims)
    values = run_model(
        importer.model, feed, x.astype(dtype), [s for s, _ in sources.values()], importer.file
    )
    out = {}
    for layer in layers:
        tensor, weights = sources[layer.name]
        ifmap = np.asarray(values[tensor])
        if ifmap.size != int(np.prod(if_shape(layer))):
            raise WorkloadError(
                f"{MEASURE_KEY}: layer {layer.name}: onnxruntime gives {tensor!r} of shape "
                f"{ifmap.shape}, the layer reads {if_shape(layer)}"
            )
        out[f"{layer.name}.IF"] = ifmap.reshape(if_shape(layer))
        out[f"{layer.name}.FL"] = weights
    return out
