"""Scenario YAML loading: duplicate keys refused, `soc.base` blocks merged, command-line
overrides (``soc.dram.arbitration=fcfs``) applied, errors on one line.

Every error becomes a `ConfigError` whose message names the file, the line when known,
and the key path (``workload.layers[2].c``), or the override that set it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from soc.config.block import Block
from soc.config.keypath import KeyPathError
from soc.config.masters import MASTER_KINDS
from soc.config.messages import KeyPath, clip_values, dotted, without_union_tags
from soc.config.models import SocConfig
from soc.config.scenario import ScenarioConfig
from soc.config.yaml_safe import load_yaml, parse_yaml
from soc.errors import ConfigError
from soc.units import echoed

# Where each key path was written: the file (a scenario or its `soc.base` block) and line.
Lines = dict[KeyPath, tuple[Path, int]]


def _read_yaml(path: Path) -> tuple[Any, Lines]:
    """Parse one YAML file safely (`soc.config.yaml_safe`); return the data and the file
    and 1-based line of every key path."""
    data, lines = load_yaml(path)
    return data, {at: (path, line) for at, line in lines.items()}


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolve_soc(data: dict[str, Any], path: Path, lines: Lines) -> frozenset[str]:
    """Merge `soc.base` (a path relative to the scenario) under the inline `soc` keys,
    and the base's key lines under the scenario's (an error in a key that only the base
    gives names the base file and its line). Return the `soc.dram` keys that only the
    base gives."""
    soc = data.get("soc")
    if not isinstance(soc, dict):
        return frozenset()
    if "energy_table" in soc and isinstance(soc["energy_table"], str):
        soc["energy_table"] = str((path.parent / soc["energy_table"]).resolve())
    base_ref = soc.pop("base", None)
    if base_ref is None:
        return frozenset()
    if not isinstance(base_ref, str):
        raise ConfigError(f"{path}: soc.base: expected a path to a YAML file")
    base_path = (path.parent / base_ref).resolve()
    try:
        found = base_path.is_file()
    except OSError as exc:  # a name too long, a loop of links
        raise ConfigError(f"{path}: soc.base: {echoed(base_ref)}: {exc.strerror}") from None
    if not found:
        raise ConfigError(f"{path}: soc.base: no such file {echoed(base_ref)}")
    base, base_lines = _read_yaml(base_path)
    if not isinstance(base, dict):
        raise ConfigError(f"{base_path}: expected a mapping of SoC blocks")
    if "base" in base:
        raise ConfigError(f"{base_path}: base: a base block cannot name another base")
    if "energy_table" in base and isinstance(base["energy_table"], str):
        base["energy_table"] = str((base_path.parent / base["energy_table"]).resolve())
    data["soc"] = _merge(base, soc)
    for at, where in base_lines.items():
        lines.setdefault(("soc", *at), where)
    base_dram, inline_dram = base.get("dram"), soc.get("dram")
    if not isinstance(base_dram, dict):
        return frozenset()
    return frozenset(set(base_dram) - set(inline_dram if isinstance(inline_dram, dict) else {}))


_PRESET_SPEED = ("bandwidth_bytes_per_s", "latency_ps")


def _preset_supersedes(
    data: dict[str, Any], from_base: frozenset[str], set_at: list[KeyPath]
) -> None:
    """A DRAM preset sets `bandwidth_bytes_per_s` and `latency_ps` (`DramConfig`: the
    simple and fluid models' speed, and the mapper's at every fidelity) unless they are
    given in the same place as the preset or a more specific one: a base block's values
    give way to a preset the scenario names, the file's to a preset set on the command
    line."""
    soc = data.get("soc")
    dram = soc.get("dram") if isinstance(soc, dict) else None
    if not isinstance(dram, dict) or dram.get("preset") is None:
        return

    def place(key: str) -> int:  # 0 base block, 1 scenario file, 2 command line
        at = ("soc", "dram", key)
        if any(at[: len(given)] == given for given in set_at):
            return 2
        return 0 if key in from_base else 1

    for key in _PRESET_SPEED:
        if key in dram and place(key) < place("preset"):
            del dram[key]


def _workload_dicts(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The scenario's workload mappings: `workload`, and each pipeline's models."""
    found = [data.get("workload")]
    pipelines = data.get("pipelines")
    for pipeline in pipelines if isinstance(pipelines, list) else []:
        models = pipeline.get("models") if isinstance(pipeline, dict) else None
        found += models if isinstance(models, list) else []
    return [w for w in found if isinstance(w, dict)]


def _resolve_arrays(data: dict[str, Any], path: Path) -> None:
    """`sparsity.arrays` and `.onnx`, and the file of an 'onnx:' or 'scalesim:' model, of
    every workload are relative to the scenario file."""
    for workload in _workload_dicts(data):
        model = workload.get("model")
        if isinstance(model, str) and model.partition(":")[0] in ("onnx", "scalesim"):
            kind, _, file = model.partition(":")
            if file:
                workload["model"] = f"{kind}:{(path.parent / file).resolve()}"
        sparsity = workload.get("sparsity")
        for key in ("arrays", "onnx"):
            if isinstance(sparsity, dict) and isinstance(sparsity.get(key), str):
                sparsity[key] = str((path.parent / sparsity[key]).resolve())
        measure = sparsity.get("measure") if isinstance(sparsity, dict) else None
        if isinstance(measure, dict) and isinstance(measure.get("input"), str):
            measure["input"] = str((path.parent / measure["input"]).resolve())


_KEY_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$")


def _label(text: str) -> str:
    """An override as a message names it: on one line (control characters escaped)."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def parse_override(text: str) -> tuple[KeyPath, Any]:
    """`a.b[2].c=value` -> (("a", "b", 2, "c"), value parsed as YAML)."""
    key, sep, value = text.partition("=")
    label = _label(text)
    if not sep or not key.strip():
        raise ConfigError(f"--set {label}: expected KEY.PATH=VALUE")
    path = _key_path(key.strip(), f"--set {label}")
    if not value.strip():
        return path, ""
    try:
        parsed, _ = parse_yaml(value, f"--set {label}", lines=False)
    except ConfigError as exc:
        if ": invalid YAML: " in str(exc):
            raise ConfigError(f"--set {label}: the value is not valid YAML") from None
        raise
    return path, parsed


def _key_path(key: str, where: str) -> KeyPath:
    """`a.b[2].c` -> ("a", "b", 2, "c"); a part that is not a key names `where`."""
    path: list[str | int] = []
    for part in key.split("."):
        match = _KEY_PART.match(part)
        if match is None:
            raise ConfigError(f"{where}: {echoed(part)} is not a key (letters, digits, _, [n])")
        path.append(match.group(1))
        path.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return tuple(path)


def _nearest(lines: dict, loc: KeyPath) -> Any:
    """What `lines` gives for `loc`, or for its nearest parent that it has; None."""
    return next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), None)


def key_line(path: Path, key: str) -> int | None:
    """The line of `key` (dotted, as messages name it: ``workload.per_layer.conv9``) in
    the YAML file `path`, or of its nearest parent there; None if there is none or the
    file cannot be read."""
    try:
        _, lines = load_yaml(path)
        return _nearest(lines, _key_path(key, str(path)))
    except ConfigError:
        return None


def _apply_override(data: dict[str, Any], at: KeyPath, value: Any, text: str) -> None:
    node: Any = data
    for depth, part in enumerate(at[:-1]):
        nxt = at[depth + 1]
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise ConfigError(f"--set {text}: {dotted(at[: depth + 1])} does not exist")
            node = node[part]
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"--set {text}: {dotted(at[:depth])} is not a mapping")
        if part not in node or node[part] is None:
            node[part] = [] if isinstance(nxt, int) else {}
        node = node[part]
    last = at[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise ConfigError(f"--set {text}: {dotted(at)} does not exist")
    elif not isinstance(node, dict):
        raise ConfigError(f"--set {text}: {dotted(at[:-1])} is not a mapping")
    node[last] = value


def _validation_message(
    exc: ValidationError,
    path: Path,
    data: Any,
    lines: Lines,
    overrides: dict[KeyPath, str] | None = None,
) -> str:
    errors = exc.errors()
    first = errors[0]
    loc = without_union_tags(tuple(first["loc"]), data, first["type"] == "missing", MASTER_KINDS)
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, KeyPathError):  # a validator naming a key below its model
        loc += cause.loc
    place = _nearest(lines, loc)
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "required key is missing"
    elif isinstance(cause, KeyPathError):
        message = str(cause)
    else:
        message = first["msg"].removeprefix("Value error, ")
    message = clip_values(message)  # a value it echoes is cut to one short line
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    for at, text in (overrides or {}).items():
        if loc and (loc[: len(at)] == at or at[: len(loc)] == loc):  # in or above it
            return f"--set {text}: {dotted(loc)}: {message}{more}"
    if not loc:  # a whole-scenario check: its message names the keys
        return f"{path}: {message}{more}"
    where = f"{place[0]}:{place[1]}" if place is not None else str(path)
    return f"{where}: {dotted(loc)}: {message}{more}"


# Keys holding file paths: relative to the file that gives them, or to the current
# folder when given with --set.
_PATH_KEYS: frozenset[KeyPath] = frozenset(
    {
        ("soc", "energy_table"),
        ("workload", "sparsity", "arrays"),
        ("workload", "sparsity", "onnx"),
        ("workload", "sparsity", "measure", "input"),
    }
)


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> ScenarioConfig:
    """Load, merge, override (``key.path=value``, after `soc.base` is merged) and
    validate a scenario file; raise `ConfigError` with one clear line. Paths in the file
    are relative to it; paths given as overrides are relative to the current folder."""
    path = Path(path)
    data, lines = _read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    parsed = [(parse_override(text), _label(text)) for text in overrides]
    from_base = _resolve_soc(data, path, lines)
    for (at, value), text in parsed:
        if at == ("soc", "base"):
            raise ConfigError(
                f"--set {text}: soc.base is merged before overrides; name it in the file"
            )
        if at in _PATH_KEYS and isinstance(value, str):
            value = str(Path(value).resolve())  # typed on the command line: from here
        _apply_override(data, at, value, text)
    _preset_supersedes(data, from_base, [at for (at, _), _ in parsed])
    _resolve_arrays(data, path)
    try:
        return ScenarioConfig.model_validate(data)
    except ValidationError as exc:
        where = {at: text for (at, _), text in parsed}
        raise ConfigError(_validation_message(exc, path, data, lines, where)) from None


class _SocOnly(Block):
    soc: SocConfig


def load_soc(path: str | Path, overrides: Sequence[str] = ()) -> SocConfig:
    """The SoC of a scenario file, or a SoC block file itself (as scenarios/soc/ holds),
    with `soc.*` overrides; errors as `load_scenario` gives them."""
    path = Path(path)
    data, lines = _read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    if "soc" in data:
        data = {"soc": data["soc"]}
    else:  # a block file: its keys are the SoC's
        data = {"soc": data}
        lines = {("soc", *at): line for at, line in lines.items()}
    _resolve_soc(data, path, lines)
    parsed = [(parse_override(text), _label(text)) for text in overrides]
    for (at, value), text in parsed:
        if at[0] != "soc" or at == ("soc", "base"):
            raise ConfigError(f"--set {text}: only soc.* keys (not soc.base) apply here")
        _apply_override(data, at, value, text)
    try:
        return _SocOnly.model_validate(data).soc
    except ValidationError as exc:
        where = {at: text for (at, _), text in parsed}
        raise ConfigError(_validation_message(exc, path, data, lines, where)) from None


def resolved_yaml(config: ScenarioConfig) -> str:
    """The fully resolved scenario (defaults filled in, base merged) as YAML text."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
