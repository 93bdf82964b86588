"""The sweep file: a base scenario, fixed overrides, axes; its points, and their checks.

A point is the base scenario with the fixed `set:` overrides, then one value of every
axis, then the seed rule, all applied as `--set` overrides are (`soc.config.loader`):
the same key paths, the same YAML values, the same errors. `validate_points` loads
every point's scenario before anything runs, so a bad path or value stops the sweep
with one line naming the axis and value.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, JsonValue, ValidationError, model_validator

from soc.config import ScenarioConfig
from soc.config.block import Block
from soc.config.loader import load_scenario, parse_override
from soc.config.messages import KeyPath, clip_values, dotted, without_union_tags
from soc.config.yaml_safe import load_yaml
from soc.errors import ConfigError


class RangeSpec(Block):
    """Values start, start + step, ... up to stop, stop included when it falls on one."""

    start: float | int
    stop: float | int
    step: float | int

    @model_validator(mode="after")
    def _reaches_stop(self) -> RangeSpec:
        self.values()
        return self

    def values(self) -> list[float | int]:
        """The range's values (ints if start and step are; floats rounded to 12 digits)."""
        if self.step == 0 or not math.isfinite(self.step):
            raise ValueError("range.step must be a non-zero number")
        count = math.floor((self.stop - self.start) / self.step + 1e-9) + 1
        if count < 1:
            raise ValueError("range: stop is not reached from start by step")
        if all(isinstance(v, int) for v in (self.start, self.step)):
            return [int(self.start + i * self.step) for i in range(count)]
        return [float(f"{self.start + i * self.step:.12g}") for i in range(count)]


class AxisSpec(Block):
    """One parameter: a dotted key path (as `--set` takes) and its values or range."""

    path: str = Field(description="e.g. soc.dram.arbitration, workload.layers[1].k")
    values: list[JsonValue] | None = Field(None, min_length=1)
    range: RangeSpec | None = None

    @model_validator(mode="after")
    def _one_source(self) -> AxisSpec:
        if (self.values is None) == (self.range is None):
            raise ValueError(f"axis {self.path}: give exactly one of 'values' or 'range'")
        try:
            parse_override(f"{self.path}=0")
        except ConfigError:
            raise ValueError(f"axis {self.path!r}: not a key path (a.b[2].c)") from None
        return self

    def value_list(self) -> list[JsonValue]:
        return list(self.values) if self.values is not None else list(self.range.values())


class SweepSpec(Block):
    """A sweep file's contents."""

    base: str = Field(description="the scenario, relative to the sweep file")
    axes: list[AxisSpec] = Field(min_length=1)
    mode: Literal["grid", "zip"] = Field("grid", description="cartesian product, or zipped")
    seed: Literal["fixed", "per_point"] = Field(
        "fixed", description="fixed: the base's seed; per_point: base seed + point index"
    )
    set: list[str] = Field(default_factory=list, description="--set overrides of every point")

    @model_validator(mode="after")
    def _checks(self) -> SweepSpec:
        paths = [a.path for a in self.axes]
        twice = next((p for p in paths if paths.count(p) > 1), None)
        if twice is not None:
            raise ValueError(f"axis {twice} is given twice")
        if self.seed == "per_point" and "seed" in paths:
            raise ValueError("seed is an axis: the seed rule must be 'fixed'")
        if self.mode == "zip":
            lengths = {a.path: len(a.value_list()) for a in self.axes}
            if len(set(lengths.values())) > 1:
                shown = ", ".join(f"{p}: {n}" for p, n in lengths.items())
                raise ValueError(f"mode zip needs axes of one length ({shown})")
        return self


@dataclass(frozen=True)
class Point:
    """One simulation of the sweep: its index, axis values and resolved scenario."""

    index: int
    values: tuple[tuple[str, JsonValue], ...]  # (axis path, value), in axis order
    overrides: tuple[str, ...]  # every --set text applied, fixed ones first
    config: ScenarioConfig
    key: str


def value_text(value: JsonValue) -> str:
    """`value` as one line of YAML that reads back as the same value (a block in flow
    style): the right-hand side of a `--set` override."""
    text = yaml.safe_dump(value, default_flow_style=True, width=math.inf, sort_keys=False)
    return text.removesuffix("\n...\n").strip()


def scenario_key(config: ScenarioConfig) -> str:
    """Content address of a resolved scenario: sha256 of its canonical JSON, 16 hex."""
    return data_key(config.model_dump(mode="json"))


def data_key(data: JsonValue) -> str:
    """sha256 (16 hex digits) of `data` as canonical JSON (sorted keys, no spaces): the
    key of a resolved scenario, from the model or from its config.yaml read back."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def read_spec(path: Path) -> SweepSpec:
    """Parse and check a sweep file; `ConfigError` with one line on any mistake."""
    data, lines = load_yaml(path)  # safely: size, depth and alias limits, plain types
    return parse_spec(data, str(path), lines)


def parse_spec(data: object, where: str, lines: dict[KeyPath, int] | None = None) -> SweepSpec:
    """A sweep spec from plain data (`where` names it in errors, with the line of the
    key at fault when `lines`, the key paths' lines, are given)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping with base and axes")
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        at = without_union_tags(tuple(first["loc"]), data, first["type"] == "missing")
        lines = lines or {}
        line = next((lines[at[:n]] for n in range(len(at), 0, -1) if at[:n] in lines), None)
        place = f"{where}:{line}" if line is not None else where
        loc = dotted(at) if at else ""
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        elif first["type"] == "missing":
            message = "required key is missing"
        else:
            message = clip_values(first["msg"].removeprefix("Value error, "))
        raise ConfigError(f"{place}: {loc + ': ' if loc else ''}{message}") from None


def combinations(spec: SweepSpec) -> list[tuple[tuple[str, JsonValue], ...]]:
    """Every point's axis values, in point order: grid is the cartesian product with the
    last axis varying fastest; zip takes the i-th value of every axis."""
    columns = [[(a.path, v) for v in a.value_list()] for a in spec.axes]
    if spec.mode == "zip":
        return list(zip(*columns, strict=True))
    return list(itertools.product(*columns))


def expand(spec: SweepSpec, base: Path, where: str) -> list[Point]:
    """Every point, its scenario loaded and checked; the first bad one raises
    `ConfigError` naming the axis and value (nothing has run)."""
    fixed = tuple(spec.set)
    points = []
    base_seed: int | None = None
    for index, values in enumerate(combinations(spec)):
        texts = tuple(f"{path}={value_text(value)}" for path, value in values)
        overrides = fixed + texts
        if spec.seed == "per_point":
            if base_seed is None:
                base_seed = _load(base, fixed, (), where).seed
            overrides += (f"seed={base_seed + index}",)
        config = _load(base, overrides, texts, where)
        points.append(Point(index, tuple(values), overrides, config, scenario_key(config)))
    return points


def _load(
    base: Path, overrides: tuple[str, ...], axes: tuple[str, ...], where: str
) -> ScenarioConfig:
    try:
        return load_scenario(base, overrides)
    except ConfigError as exc:
        message = str(exc)
        for text in axes:
            if message.startswith(f"--set {text}:"):
                path, _, value = text.partition("=")
                detail = message.removeprefix(f"--set {text}:").strip()
                raise ConfigError(f"{where}: axis {path}, value {value}: {detail}") from None
        shown = f" (point with {', '.join(axes)})" if axes else ""
        raise ConfigError(f"{where}: {message}{shown}") from None
