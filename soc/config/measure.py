"""`workload.sparsity.measure`: real activations, measured by running the workload's ONNX
model on one input with onnxruntime (soc.workloads.activations does the work)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from soc.config.block import Block
from soc.units import echoed

MAX_PIXELS = 16384
"""The largest `resize` side: an image of 16384 x 16384 x 3 floats is 3 GiB already."""
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm")
PREPROCESSING = ("resize", "mean", "std", "scale", "channels")


class MeasureConfig(Block):
    """One input the model runs on, and how it becomes the model's input tensor.

    An image file is read with Pillow, converted to `channels`, resized (bilinear) to
    the model input's H x W, or to `resize` and then cropped to the model input's H x W
    from the centre (the usual resize-256, crop-224), divided by `scale` (pixels
    0..255 -> 0..1) and normalised per channel, `(x - mean) / std`, then laid out as
    `layout` with a batch axis of 1. A `.npy` file is the model's input tensor itself, already
    preprocessed (with or without the batch axis): the preprocessing keys do not apply
    to it and are refused.
    """

    input: Path = Field(description="an image (.png, .jpg, ...) or a .npy input tensor")
    resize: (
        tuple[Annotated[int, Field(le=MAX_PIXELS)], Annotated[int, Field(le=MAX_PIXELS)]] | None
    ) = Field(None, description="[H, W] resized to, then centre-cropped; default the model input's")
    mean: tuple[Annotated[float, Field(ge=-1e6, le=1e6)], ...] = Field(
        (0.0,), description="per channel (one value: all)"
    )
    std: tuple[Annotated[float, Field(ge=-1e6, le=1e6)], ...] = Field(
        (1.0,), description="per channel (one value: all)"
    )
    scale: float = Field(255.0, ge=1e-6, le=1e6, description="pixels are divided by it first")
    channels: Literal["RGB", "BGR", "L"] = Field("RGB", description="L: one grey channel")
    layout: Literal["NCHW", "NHWC"] = Field("NCHW", description="the model input's layout")

    @field_validator("resize")
    @classmethod
    def _positive_size(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and min(value) <= 0:
            raise ValueError(f"resize {list(value)} must be two positive sizes [H, W]")
        return value

    @field_validator("std")
    @classmethod
    def _no_zero_std(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(abs(v) < 1e-6 for v in value):
            raise ValueError(f"std {echoed(list(value))} must be non-zero values (1e-6 at least)")
        return value

    @field_validator("mean")
    @classmethod
    def _some_mean(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value:
            raise ValueError("mean needs one value per channel (or one for all)")
        return value

    @model_validator(mode="after")
    def _known_input_kind(self) -> MeasureConfig:
        suffix = self.input.suffix.lower()
        if suffix == ".npy":
            fields = type(self).model_fields
            given = [key for key in PREPROCESSING if getattr(self, key) != fields[key].default]
            if given:
                raise ValueError(
                    f"{given[0]} does not apply to a .npy input (it is the model's input "
                    "tensor as is)"
                )
        elif suffix not in IMAGE_SUFFIXES:
            raise ValueError(
                f"input {echoed(self.input.name)} is neither a .npy file nor an image "
                f"({', '.join(IMAGE_SUFFIXES)})"
            )
        if self.channels == "L" and (len(self.mean) > 1 or len(self.std) > 1):
            raise ValueError("channels L has one channel: give one mean and one std")
        return self
