"""Tensors as non-zero masks: synthetic sparsity patterns, arrays from files, bitmaps and
zero-value compression (ZVC) sizes.

Only where values are non-zero matters to the timing model, so a tensor is a boolean
mask: IF as C x H x W, FL as K x (C / groups) x R x S.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from soc.errors import WorkloadError
from soc.limits import check_input_file
from soc.units import echoed
from soc.workloads.layers import Layer
from soc.workloads.npy_files import read_arrays

ZVC_HEADER_BYTES = 4  # the compressed block's length field


@dataclass(frozen=True)
class LayerTensors:
    """Non-zero masks of one layer's input feature map and filters."""

    ifmap: np.ndarray  # bool, C x H x W
    weights: np.ndarray  # bool, K x C/groups x R x S

    @property
    def if_density(self) -> float:
        return float(self.ifmap.mean()) if self.ifmap.size else 1.0

    @property
    def fl_density(self) -> float:
        return float(self.weights.mean()) if self.weights.size else 1.0


def if_shape(layer: Layer) -> tuple[int, ...]:
    return (layer.c, layer.h, layer.w)


def fl_shape(layer: Layer) -> tuple[int, ...]:
    return (layer.k, layer.c_per_group, layer.r, layer.s)


def bitmap(mask: np.ndarray) -> np.ndarray:
    """The 1-bit-per-element bitmap of a mask, packed into bytes (row-major order)."""
    return np.packbits(mask.ravel())


def zvc_bytes(elements: int, nonzeros: int, element_bytes: int) -> int:
    """Compressed size: the non-zeros, a one-bit-per-element bitmap, and a header."""
    return nonzeros * element_bytes + -(-elements // 8) + ZVC_HEADER_BYTES


def _rng(seed: int, name: str) -> np.random.Generator:
    digest = hashlib.sha256(name.encode()).digest()
    return np.random.default_rng([seed, int.from_bytes(digest[:8], "little")])


def synthetic_mask(
    shape: tuple[int, ...],
    density: float,
    pattern: str,
    rng: np.random.Generator,
    n: int = 2,
    m: int = 4,
) -> np.ndarray:
    """A mask of `density` non-zeros laid out by `pattern`:

    - uniform: every element independently non-zero with probability `density`;
    - channel: each channel (axis 0) draws its own density from a Beta distribution
      whose mean is `density` (some channels dense, some nearly empty);
    - nm: along axis 1 (input channels), `n` non-zeros in every group of `m` (the
      density is n / m; a structured weight pattern).
    """
    if pattern == "uniform":
        return rng.random(shape) < density
    if pattern == "channel":
        if density in (0.0, 1.0):
            return np.full(shape, density == 1.0)
        strength = 2.0
        per_channel = rng.beta(density * strength, (1 - density) * strength, size=shape[0])
        return rng.random(shape) < per_channel.reshape((-1,) + (1,) * (len(shape) - 1))
    if pattern == "nm":
        axis_len = shape[1] if len(shape) > 1 else shape[0]
        groups = -(-axis_len // m)
        keys = rng.random((shape[0], groups, m) + tuple(shape[2:]))
        ranks = keys.argsort(axis=2).argsort(axis=2)
        mask = (ranks < n).reshape((shape[0], groups * m) + tuple(shape[2:]))
        return mask[:, :axis_len]
    raise WorkloadError(f"unknown sparsity pattern {pattern!r} (uniform, channel, nm)")


def synthetic_tensors(
    layer: Layer,
    if_density: float,
    fl_density: float,
    pattern: str,
    seed: int,
    n: int = 2,
    m: int = 4,
) -> LayerTensors:
    """Seeded synthetic masks for `layer` (IF always uniform or channel-clustered; the
    N:M pattern applies to weights)."""
    if_pattern = "uniform" if pattern == "nm" else pattern
    return LayerTensors(
        synthetic_mask(if_shape(layer), if_density, if_pattern, _rng(seed, f"{layer.name}.IF")),
        synthetic_mask(fl_shape(layer), fl_density, pattern, _rng(seed, f"{layer.name}.FL"), n, m),
    )


ARRAYS_KEY = "workload.sparsity.arrays"
ONNX_KEY = "workload.sparsity.onnx"
TENSOR_KINDS = ("IF", "FL")


def known_names(names: list[str] | tuple[str, ...], limit: int = 8) -> str:
    """`names` for an error message, the first `limit` of a long list then a count."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names)} in all)"


def check_shape(layer: Layer, tensor: str, array: np.ndarray, key: str = ARRAYS_KEY) -> None:
    """Refuse an array whose shape is not the layer's (naming layer, tensor, shapes)."""
    wanted = if_shape(layer) if tensor == "IF" else fl_shape(layer)
    if tuple(array.shape) != wanted:
        raise WorkloadError(
            f"{key}: layer {layer.name}: {tensor} has shape {tuple(array.shape)}, "
            f"the layer needs {wanted}"
        )


def check_array_keys(
    arrays: dict[str, np.ndarray], layers: list[Layer], key: str = ARRAYS_KEY
) -> None:
    """Refuse a key that is not '<layer>.IF' or '<layer>.FL' of a layer of the workload
    (a typo would otherwise leave that layer silently synthetic)."""
    names = [layer.name for layer in layers]
    known = set(names)
    for name in arrays:
        layer, dot, kind = name.rpartition(".")
        if not dot or kind not in TENSOR_KINDS:
            raise WorkloadError(
                f"{key}: array {name!r} names no tensor kind (want '<layer>.IF' or '<layer>.FL')"
            )
        if layer not in known:
            raise WorkloadError(
                f"{key}: array {name!r} names no layer (layers: {known_names(names)})"
            )


def tensors_from_arrays(
    layer: Layer, arrays: dict[str, np.ndarray], fallback: LayerTensors | None = None
) -> LayerTensors | None:
    """Masks from real values keyed '<layer>.IF' and '<layer>.FL'. A tensor without
    values takes `fallback`'s mask (synthetic); None when neither has values."""
    found = {t: arrays.get(f"{layer.name}.{t}") for t in TENSOR_KINDS}
    if all(a is None for a in found.values()):
        return None
    for tensor, array in found.items():
        if array is None and fallback is None:
            raise WorkloadError(f"layer {layer.name}: arrays give no {tensor} values")
        if array is not None:
            check_shape(layer, tensor, array)
    return LayerTensors(
        found["IF"] != 0 if found["IF"] is not None else fallback.ifmap,
        found["FL"] != 0 if found["FL"] is not None else fallback.weights,
    )


def _check_file(path: Path, key: str, what: str) -> None:
    if path.is_dir():
        raise WorkloadError(f"{key}: {path}: is a directory, not {what}")
    if not path.is_file():
        raise WorkloadError(f"{key}: {path}: no such file")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_arrays(path: Path, key: str = ARRAYS_KEY) -> dict[str, np.ndarray]:
    """Arrays from a .npz file (or a single .npy named '<layer>.<IF|FL>.npy'), read by
    `npy_files` (size limit, headers checked, never unpickled); numbers only."""
    _check_file(path, key, "an .npz or .npy file")
    arrays = read_arrays(path, key)
    for name, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise WorkloadError(
                f"{key}: {path}, array {echoed(name)}: dtype {array.dtype} is not numbers"
            )
    return arrays


def onnx_initializers(path: Path, key: str = ONNX_KEY) -> dict[str, np.ndarray]:
    """Every initializer (weight tensor) of an ONNX model, by name."""
    _check_file(path, key, "an ONNX model")
    check_input_file(path, key)
    try:
        import onnx
        from onnx import numpy_helper
        from onnx.external_data_helper import load_external_data_for_model
    except ImportError:
        raise WorkloadError(
            f"{key}: {path}: reading ONNX needs the onnx package (pip install 'flexsoc[onnx]')"
        ) from None
    try:
        model = onnx.load(str(path), load_external_data=False)
        # protobuf parses some foreign bytes (an empty file, say) into an empty message
        if model.ir_version == 0 or not model.HasField("graph"):
            raise ValueError("no IR version or graph")
    except Exception as exc:  # onnx and protobuf raise their own decode error types
        raise WorkloadError(f"{key}: {path}: not an ONNX model ({_first_line(exc)})") from None
    try:  # weights saved beside the model (models over 2 GB, or by choice)
        load_external_data_for_model(model, str(path.parent))
        return {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    except Exception as exc:
        raise WorkloadError(
            f"{key}: {path}: cannot read its weights ({_first_line(exc)})"
        ) from None


def onnx_weights(
    layers: list[Layer],
    initializers: dict[str, np.ndarray],
    names: dict[str, str],
    key: str = ONNX_KEY,
) -> dict[str, np.ndarray]:
    """Weight arrays keyed '<layer>.FL' from ONNX initializers: the one `names` gives
    for a layer, else '<layer>.weight', else '<layer>'. FC weights (K x C) get their
    1 x 1 kernel axes. Refuses a `names` entry whose layer or initializer does not
    exist, an initializer whose shape is not the layer's, and a model none of whose
    initializers is a layer's weight (it would change nothing)."""
    layer_names = [layer.name for layer in layers]
    init_names = sorted(initializers)
    for layer_name, init_name in names.items():
        if layer_name not in layer_names:
            raise WorkloadError(
                f"{key}_names.{layer_name}: no such layer (layers: {known_names(layer_names)})"
            )
        if init_name not in initializers:
            raise WorkloadError(
                f"{key}_names.{layer_name}: the ONNX model has no initializer {init_name!r} "
                f"(initializers: {known_names(init_names)})"
            )
    out = {}
    for layer in layers:
        candidates = [names.get(layer.name), f"{layer.name}.weight", layer.name]
        init_name = next((k for k in candidates if k is not None and k in initializers), None)
        if init_name is None:
            continue
        array = initializers[init_name]
        given = tuple(array.shape)
        if layer.op == "fc" and array.ndim == 2:
            array = array.reshape(*array.shape, 1, 1)
        if tuple(array.shape) != fl_shape(layer):
            raise WorkloadError(
                f"{key}: layer {layer.name}: initializer {init_name!r} has shape {given}, "
                f"the layer's FL needs {fl_shape(layer)}"
            )
        out[f"{layer.name}.FL"] = array
    if not out:
        raise WorkloadError(
            f"{key}: no initializer is a layer's weight (looked for '<layer>.weight' and "
            f"'<layer>'; initializers: {known_names(init_names)}); map them with {key}_names"
        )
    return out
