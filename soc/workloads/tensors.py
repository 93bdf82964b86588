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
from soc.workloads.layers import Layer

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


def check_shape(layer: Layer, tensor: str, array: np.ndarray) -> None:
    """Refuse an array whose shape is not the layer's (naming layer, tensor, shapes)."""
    wanted = if_shape(layer) if tensor == "IF" else fl_shape(layer)
    if tuple(array.shape) != wanted:
        raise WorkloadError(
            f"layer {layer.name}: {tensor} has shape {tuple(array.shape)}, the layer needs {wanted}"
        )


def tensors_from_arrays(
    layer: Layer, arrays: dict[str, np.ndarray], fallback: LayerTensors | None = None
) -> LayerTensors | None:
    """Masks from real values keyed '<layer>.IF' and '<layer>.FL'. A tensor without
    values takes `fallback`'s mask (synthetic); None when neither has values."""
    found = {t: arrays.get(f"{layer.name}.{t}") for t in ("IF", "FL")}
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


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """Arrays from a .npz file (or a single .npy named '<layer>.<IF|FL>.npy')."""
    if not path.is_file():
        raise WorkloadError(f"{path}: no such array file")
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        return {path.name.removesuffix(".npy"): np.load(path, allow_pickle=False)}
    except (ValueError, OSError) as exc:
        raise WorkloadError(f"{path}: cannot read arrays ({exc})") from None


def onnx_initializers(path: Path) -> dict[str, np.ndarray]:
    """Every initializer (weight tensor) of an ONNX model, by name."""
    if not path.is_file():
        raise WorkloadError(f"{path}: no such ONNX model")
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise WorkloadError(
            f"{path}: reading ONNX needs the onnx package (pip install 'flexsoc[onnx]')"
        ) from None
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises its own DecodeError types
        raise WorkloadError(f"{path}: not a readable ONNX model ({exc})") from None
    return {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}


def onnx_weights(
    layers: list[Layer], initializers: dict[str, np.ndarray], names: dict[str, str]
) -> dict[str, np.ndarray]:
    """Weight arrays keyed '<layer>.FL' from ONNX initializers: the one `names` gives
    for a layer, else '<layer>.weight', else '<layer>'. FC weights (K x C) get their
    1 x 1 kernel axes."""
    out = {}
    for layer in layers:
        candidates = [names.get(layer.name), f"{layer.name}.weight", layer.name]
        key = next((k for k in candidates if k is not None and k in initializers), None)
        if key is None:
            if layer.name in names:
                raise WorkloadError(
                    f"layer {layer.name}: the ONNX model has no initializer {names[layer.name]!r}"
                )
            continue
        array = initializers[key]
        if layer.op == "fc" and array.ndim == 2:
            array = array.reshape(*array.shape, 1, 1)
        out[f"{layer.name}.FL"] = array
    return out
