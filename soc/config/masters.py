"""Traffic masters' configuration: camera, display and generator (DESIGN.md section 4).
A scenario's `masters` list holds any of them, told apart by `kind`."""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import BeforeValidator, Field, field_validator, model_validator

from soc.config.block import Block
from soc.config.keypath import KeyPathError
from soc.config.quantities import (
    MAX_SIZE_BYTES,
    MAX_TIME_PS,
    BandwidthBps,
    Count,
    FrameRate,
    Natural,
    PositiveBytes,
)
from soc.units import echoed, parse_size_bytes

PS_PER_S = 10**12
MASTER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")


class MasterBase(Block):
    """A traffic master on the NoC: its name, QoS class and request stream shape."""

    name: str = Field(description="a letter, then letters, digits and '_'; 40 at most")
    priority: Natural = Field(1, description="QoS class (0 = most urgent)")
    request_bytes: PositiveBytes = Field(256, description="size of its memory requests")
    max_outstanding: Count = Field(8, description="requests in flight")

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        if not MASTER_NAME.fullmatch(name):
            raise ValueError(
                f"{echoed(name)} is not a master name (a letter, then letters, digits and "
                "'_', at most 40 characters)"
            )
        return name


LINE = "line"
"""`request_bytes` of a camera or display that issues one request per line."""


def _size_or_line(value: object) -> object:
    """A positive size in bytes, or 'line'."""
    if isinstance(value, str) and value.strip() == LINE:
        return LINE
    try:
        size = parse_size_bytes(value)
    except ValueError:
        size = 0
    if size <= 0:
        raise ValueError(f"{echoed(value)} is neither a positive size (e.g. '256 B') nor 'line'")
    if size > MAX_SIZE_BYTES:
        raise ValueError(f"{size:.6g} B is too large: at most 1 PiB (2**50 B)")
    return size


LineOrBytes = Annotated[int | Literal["line"], BeforeValidator(_size_or_line)]
LINE_GRAIN = (
    "size of its memory requests, or 'line': one request per line (width x "
    "bytes_per_pixel), far fewer events for the same bytes; late lines and underflows stay "
    "exact per line. At banked fidelity a request is opened in the bank of its first "
    "address, so a line that crosses rows pays one activation"
)


class _LineMaster(MasterBase):
    """A camera or display: a frame of `height` lines of `width` pixels at `fps`."""

    request_bytes: LineOrBytes = Field(256, description=LINE_GRAIN)
    kind: str  # each kind's Literal; declared here to keep the keys in their order
    width: Count
    height: Count
    bytes_per_pixel: Count = 2
    fps: FrameRate = Field(description="frames per second")

    @model_validator(mode="after")
    def _line_period(self) -> _LineMaster:
        """A line every 1 / (fps x height) s: at least 1 ps, the time grain."""
        if self.fps * self.height > PS_PER_S:
            raise KeyPathError(
                ("fps",),
                f"{self.fps:g} frames of {self.height} lines a second is a line every "
                f"{PS_PER_S / (self.fps * self.height):.3g} ps, under the 1 ps time grain",
            )
        return self

    @property
    def line_bytes(self) -> int:
        return self.width * self.bytes_per_pixel

    @property
    def request_size(self) -> int:
        """Bytes per request: `request_bytes`, or one line's under 'line'."""
        return self.line_bytes if self.request_bytes == LINE else self.request_bytes


class CameraConfig(_LineMaster):
    """Writes a frame every 1/fps, line by line at the line rate."""

    kind: Literal["camera"]
    bytes_per_pixel: Count = 2


class DisplayConfig(_LineMaster):
    """Reads its frame buffer line by line into a FIFO the panel drains at line rate."""

    kind: Literal["display"]
    bytes_per_pixel: Count = 4
    fifo_bytes: PositiveBytes = Field(
        64 * 1024, description="FIFO depth (at least one request: reads fill it whole)"
    )

    @model_validator(mode="after")
    def _fifo_holds_a_request(self) -> DisplayConfig:
        if self.request_size > self.fifo_bytes:
            raise KeyPathError(
                ("fifo_bytes",),
                f"{self.fifo_bytes} B holds no request of {self.request_size} B "
                f"(request_bytes: {self.request_bytes}): the display could never read",
            )
        return self


class GeneratorConfig(MasterBase):
    """Requests at a fixed rate over a region: sequential, random or strided."""

    kind: Literal["generator"]
    rate_bytes_per_s: BandwidthBps
    pattern: Literal["sequential", "random", "strided"] = "sequential"
    stride_bytes: PositiveBytes = Field(4096, description="strided pattern step")
    region_bytes: PositiveBytes = Field(16 * 2**20, description="address range it walks")
    write: bool = False

    @model_validator(mode="after")
    def _fits(self) -> GeneratorConfig:
        """The region holds a request, and a request leaves every 1 ps to 1e6 s (the
        generator waits request_bytes / rate between requests, in whole ps)."""
        if self.region_bytes < self.request_bytes:
            raise KeyPathError(
                ("region_bytes",),
                f"{self.region_bytes} B holds no request of {self.request_bytes} B (request_bytes)",
            )
        interval = self.request_bytes * PS_PER_S / self.rate_bytes_per_s
        if not 1 <= interval <= MAX_TIME_PS:
            raise KeyPathError(
                ("rate_bytes_per_s",),
                f"{self.rate_bytes_per_s:g} B/s sends a request of {self.request_bytes} B "
                f"every {interval:.3g} ps: must be 1 ps to 1e6 s",
            )
        return self


MasterConfig = Annotated[
    CameraConfig | DisplayConfig | GeneratorConfig, Field(discriminator="kind")
]
MASTER_KINDS = tuple(
    get_args(c.model_fields["kind"].annotation)[0] for c in get_args(get_args(MasterConfig)[0])
)
"""The `kind` of every master config in the union (what pydantic names a member by)."""
