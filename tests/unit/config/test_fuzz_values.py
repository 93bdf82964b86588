"""Fuzzing the scenario loader: the scenarios in scenarios/ with one leaf changed or one
key added, written to a file and loaded.

Every mutation here is wrong (a value of another kind, an unknown key, a number out of
every field's range, a unit of another quantity), except a few classified as possibly
valid (zero, a tiny positive number). A wrong one must end in one `ConfigError` whose
message names the key path as the loader prints it (``masters[0].fps``), never another
exception; a valid one must load into a config whose every number is finite. A subset
is planned too: planning raises nothing but the simulator's own errors.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import assume as hypothesis_assume
from hypothesis import strategies as st
from pydantic import BaseModel

from soc.config.loader import load_scenario
from soc.config.scenario import ScenarioConfig
from soc.errors import ConfigError, FlexsocError

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = ROOT / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
FREE_MAPS = {"per_layer", "placement", "regulators", "weights", "per_kind", "onnx_names"}
"""Mappings whose keys are names (layers, masters, op kinds), not fields."""

KeyPath = tuple[str | int, ...]


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if both else value
    return out


def _scenario(path: Path) -> dict[str, Any]:
    """The scenario as a dict that loads from any folder: its `soc.base` merged in
    (under the inline keys, as the loader merges it), its model file absolute."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    soc = data.get("soc", {})
    if "base" in soc:
        base = yaml.safe_load((path.parent / soc.pop("base")).read_text(encoding="utf-8"))
        data["soc"] = _merge(base, soc)
    for workload in [data.get("workload")] + [
        m for p in data.get("pipelines") or [] for m in p.get("models", [])
    ]:
        model = (workload or {}).get("model", "")
        kind, _, file = model.partition(":")
        if kind in ("onnx", "scalesim"):
            workload["model"] = f"{kind}:{(path.parent / file).resolve()}"
    data.setdefault("run", {})["mapping_cache"] = False  # never the user's cache
    return data


BASES = {path.stem: _scenario(path) for path in FILES}


def dotted(loc: KeyPath) -> str:
    """A key path as the loader prints it: ``a.b[2].c``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _leaves(node: Any, at: KeyPath = ()) -> list[tuple[KeyPath, Any]]:
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _leaves(v, (*at, k))]
    if isinstance(node, list):
        return [leaf for i, v in enumerate(node) for leaf in _leaves(v, (*at, i))]
    return [(at, node)]


def _mappings(node: Any, at: KeyPath = ()) -> list[KeyPath]:
    if isinstance(node, dict):
        return [at] + [m for k, v in node.items() for m in _mappings(v, (*at, k))]
    if isinstance(node, list):
        return [m for i, v in enumerate(node) for m in _mappings(v, (*at, i))]
    return []


def _set(data: dict, at: KeyPath, value: Any) -> None:
    node: Any = data
    for part in at[:-1]:
        node = node[part]
    node[at[-1]] = value


UNITS = {
    "_ps": ["1 GHz", "2 MiB", "5 parsecs", "3 GB/s"],
    "_hz": ["40 ns", "2 MiB", "5 parsecs", "1 GB/s"],
    "_bytes": ["1 GHz", "40 ns", "5 parsecs", "1 GB/s"],
    "_bytes_per_s": ["1 GHz", "40 ns", "5 parsecs", "2 MiB"],
}
WRONG_FOR_NUMBER = [
    True, False, "abc", [1], {"a": 1}, -1, -2.5, math.nan, math.inf, -math.inf, 1e30, 10**30,
    "5 parsecs", "1e400 B", "nan", "x" * 5000,
]  # fmt: skip
MAYBE_VALID_FOR_NUMBER = [0, 0.0, 1e-30]
PLAUSIBLE_NUMBERS = [0, 1, 2, 3, 7, 1000, 1e-30]
"""What the planning test sets numbers to: often valid, so that planning runs."""
WRONG_FOR_TEXT = [True, 5, 2.5, [], ["a"], {"x": 1}, "../../etc", "x" * 5000]
WRONG_FOR_BOOL = [0, 1, 2, "yes", "true", 2.5, [], {"a": 1}]
NUMBER_TEXT_KEYS = ("request_bytes",)  # a size or 'line'
LOOP_KEYS = ("dram", "sram", "rows", "cols", "rf", "lanes")
"""A descriptor's loops: text the planner parses (a wrong one is its MappingError)."""


def _unit_suffix(key: str | int) -> str | None:
    if not isinstance(key, str):
        return None
    return next((s for s in ("_bytes_per_s", "_ps", "_hz", "_bytes") if key.endswith(s)), None)


def _types(annotation: Any) -> list[Any]:
    if get_origin(annotation) in (list, dict, tuple):
        return [get_origin(annotation)]
    args = get_args(annotation)
    if get_origin(annotation) is Literal:
        return [type(arg) for arg in args]
    return [t for arg in args for t in _types(arg)] if args else [annotation]


def _schema(model: type[BaseModel], at: KeyPath = ()) -> list[tuple[KeyPath, str]]:
    """Every field below `model` reached through mappings only: (path, 'model',
    'number' or 'bool'); text fields are left to the mutations of the files' leaves."""
    out = []
    for name, info in model.model_fields.items():
        types = [t for t in _types(info.annotation) if t is not type(None)]
        sub = next((t for t in types if isinstance(t, type) and issubclass(t, BaseModel)), None)
        if sub is not None and len(types) == 1:
            out.append(((*at, name), "model"))
            out += _schema(sub, (*at, name))
            if any(f.is_required() for f in sub.model_fields.values()):
                NEEDS_KEYS.add((*at, name))
        elif types and all(t is bool for t in types):
            out.append(((*at, name), "bool"))
        elif any(t in (int, float) for t in types) and str not in types:
            out.append(((*at, name), "number"))
    return out


NEEDS_KEYS: set[KeyPath] = set()
"""The models with required keys."""
SCHEMA = _schema(ScenarioConfig)


def _has(data: dict, at: KeyPath) -> bool:
    node: Any = data
    for part in at:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _number(draw, plausible: bool, extra: list[Any] = ()) -> tuple[Any, bool]:
    """A value for a number field, and whether it may be valid."""
    if plausible:
        return draw(st.sampled_from(PLAUSIBLE_NUMBERS)), True
    value = draw(st.sampled_from(WRONG_FOR_NUMBER + MAYBE_VALID_FOR_NUMBER + list(extra)))
    return value, value in MAYBE_VALID_FOR_NUMBER and not isinstance(value, bool)


def _absent_field(data: dict, draw, plausible: bool) -> tuple[KeyPath, Any, bool]:
    """A field of the models, whether the file gives it or not: an unknown key in a
    model's mapping, or a wrong value for a number or a switch."""
    program = {"pipelines"} if "pipelines" in data else {"workload", "driver"}
    fields = [f for f in SCHEMA if f[0][0] in program | {"soc", "run", "seed"}]
    at, kind = draw(st.sampled_from(fields))
    if kind == "model":
        at, value, maybe = (*at, "zz_unknown"), 1, False
    elif kind == "bool":
        value, maybe = draw(st.sampled_from(WRONG_FOR_BOOL)), False
    else:
        value, maybe = _number(draw, plausible)
    # a model with required keys that the file lacks would be refused for those first
    absent = [at[:n] for n in range(1, len(at)) if not _has(data, at[:n])]
    hypothesis_assume(not any(model in NEEDS_KEYS for model in absent))
    return at, value, maybe


def _put(data: dict, at: KeyPath, value: Any) -> None:
    node: Any = data
    for part in at[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[at[-1]] = value


@st.composite
def mutations(draw, names: list[str], plausible: bool = False) -> tuple[dict, KeyPath, Any, bool]:
    """(scenario dict, the key path changed, the new value, whether it may be valid)."""
    data = copy.deepcopy(BASES[draw(st.sampled_from(names))])
    choice = draw(st.integers(0, 5))
    if choice == 5:  # any field of the models, in the file or not
        at, value, maybe = _absent_field(data, draw, plausible)
        _put(data, at, value)
        return data, at, value, maybe
    if choice == 0:  # an unknown key in some mapping of the file
        at = draw(st.sampled_from(_mappings(data)))
        node: Any = data
        for part in at:
            node = node[part]
        node["zz_unknown"] = 1
        free = bool(at) and at[-1] in FREE_MAPS
        return data, (*at, "zz_unknown"), 1, free
    at, old = draw(st.sampled_from(_leaves(data)))
    key = next((p for p in reversed(at) if isinstance(p, str)), "")
    suffix = _unit_suffix(at[-1])
    if isinstance(old, bool):
        value, maybe = draw(st.sampled_from(WRONG_FOR_BOOL)), False
    elif isinstance(old, int | float) or (suffix and isinstance(old, str)):
        value, maybe = _number(draw, plausible, UNITS.get(suffix or "", []))
    else:
        value = draw(st.sampled_from(WRONG_FOR_TEXT))
        # a layer named '../../etc' or 'xxx…' is refused; a number is a valid size
        maybe = key in NUMBER_TEXT_KEYS and isinstance(value, int | float)
        maybe = maybe and not isinstance(value, bool)
        maybe = maybe or (key in LOOP_KEYS and isinstance(value, str))
    _set(data, at, value)
    return data, at, value, maybe


def _numbers(node: Any) -> list[float]:
    if isinstance(node, dict):
        return [n for v in node.values() for n in _numbers(v)]
    if isinstance(node, list | tuple):
        return [n for v in node for n in _numbers(v)]
    return [node] if isinstance(node, int | float) and not isinstance(node, bool) else []


def _names_the_key(message: str, at: KeyPath) -> bool:
    """The message names the key path, or (a check across keys) the key and one of its
    enclosing mappings."""
    if dotted(at) in message:
        return True
    leaf = next((p for p in reversed(at) if isinstance(p, str)), "")
    enclosing = [dotted(at[:n]) for n in range(1, len(at))]
    return leaf in message and any(f"{e}" in message for e in enclosing)


def _load(tmp: Path, data: dict):
    path = tmp / "fuzzed.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_scenario(path)


def _check(tmp: Path, case: tuple[dict, KeyPath, Any, bool]):
    data, at, value, maybe = case
    try:
        config = _load(tmp, data)
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message, message
        assert _names_the_key(message, at), f"{dotted(at)}={value!r:.60}: {message}"
        assert len(message) < 2000, message[:200]
        return None
    assert maybe, f"{dotted(at)}={value!r:.60} was accepted"
    bad = [n for n in _numbers(config.model_dump()) if not math.isfinite(n)]
    assert not bad, f"{dotted(at)}={value!r:.60}: non-finite values {bad}"
    return config


SETTINGS = dict(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(max_examples=300, **SETTINGS)
@given(case=mutations(sorted(BASES)))
def test_one_mutation_is_one_config_error_naming_its_key(tmp_path: Path, case) -> None:
    _check(tmp_path, case)


@settings(max_examples=40, **SETTINGS)
@given(case=mutations(["quickstart", "dram_contention"], plausible=True))
def test_a_mutated_scenario_that_loads_plans_or_fails_cleanly(tmp_path: Path, case) -> None:
    from soc.plan.pipelines import plan_scenario

    config = _check(tmp_path, case)
    if config is None:
        return
    try:
        plan_scenario(config)
    except FlexsocError as exc:  # ConfigError, WorkloadError, MappingError: one line
        assert "\n" not in str(exc)


@pytest.mark.parametrize("name", sorted(BASES))
def test_every_unmutated_scenario_loads(tmp_path: Path, name: str) -> None:
    """The fuzzing's starting points are valid: every refusal comes from the mutation."""
    config = _load(tmp_path, copy.deepcopy(BASES[name]))
    assert all(math.isfinite(n) for n in _numbers(config.model_dump()))
