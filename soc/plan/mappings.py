"""Layer mappings for one run: each distinct layer shape is searched once, and the
results are kept across runs in a content-addressed cache on disk.

The cache is on by default; `run.mapping_cache: false` in a scenario, or `--no-cache`
on the command line, turns it off (nothing is read or written). Entries live under
`mappings/` in `$FLEXSOC_CACHE_DIR`, else `$XDG_CACHE_HOME/flexsoc`, else
`~/.cache/flexsoc`, one JSON file per entry, named by the SHA-256 of a canonical JSON of
everything the mapping depends on: the layer's shape, the FlexNN and SRAM configs, the
cost parameters (energy prices, DRAM and NoC bandwidth, DMA overhead), the objective,
the mapper's version constant and a digest of the mapper's source. Any change of those
is another key, so an entry is never stale. An entry is written whole (a temporary file,
then a rename) or not at all; one that cannot be read or parsed is recomputed and
rewritten, never an error; a cache directory that cannot be written is skipped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import math
import os
import tempfile
from pathlib import Path

from soc.config import FlexNNConfig, ScenarioConfig, SramConfig
from soc.errors import FlexsocError
from soc.flexnn.choice import FIXED, MAPPER_VERSION, Choice, LayerMapping
from soc.flexnn.cost import Cost, CostParams
from soc.flexnn.descriptor import Descriptor
from soc.limits import check_input_file
from soc.workloads import Layer

# the modules whose code decides a mapping: an edit of any of them is a new cache key.
# Named, not imported: a cache hit needs neither the search nor numpy (issue 10).
_MAPPER_CODE = (
    "soc.flexnn.mapper",
    "soc.flexnn.choice",
    "soc.flexnn.batchcost",
    "soc.flexnn.cost",
    "soc.flexnn.loopnest",
    "soc.flexnn.problem",
    "soc.flexnn.descriptor",
    "soc.workloads.layers",
)
# a scenario's FlexNN fields that do not decide a mapping: round batching is applied to
# finished plans (soc.assemble.build)
_NOT_MAPPING = {"round_batch"}


def map_layer(
    layer: Layer, hw: FlexNNConfig, sram: SramConfig, params: CostParams, objective: str
) -> LayerMapping:
    """The mapper's search (`soc.flexnn.mapper.map_layer`), imported on a cache miss
    only: it needs numpy, a cache hit does not."""
    from soc.flexnn.mapper import map_layer as search

    return search(layer, hw, sram, params, objective)


def cache_root() -> Path:
    """The user's cache directory for flexsoc."""
    explicit = os.environ.get("FLEXSOC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "flexsoc"


def layer_shape(layer: Layer) -> tuple:
    """What the mapper sees of a layer (its name and producer are not part of it)."""
    return (
        layer.op,
        layer.c,
        layer.k,
        layer.h,
        layer.w,
        layer.r,
        layer.s,
        layer.stride,
        layer.pads,
        layer.groups,
        layer.dilation,
    )


def _code_digest() -> str:
    digest = hashlib.sha256()
    for module in _MAPPER_CODE:
        digest.update(Path(importlib.util.find_spec(module).origin).read_bytes())
    return digest.hexdigest()


def mapping_key(
    layer: Layer, scenario: ScenarioConfig, params: CostParams, objective: str, code: str
) -> str:
    """SHA-256 of a canonical JSON of every input of `map_layer` for `layer`."""
    inputs = {
        "mapper": MAPPER_VERSION,
        "code": code,
        "layer": layer_shape(layer),
        "flexnn": scenario.soc.flexnn.model_dump(mode="json", exclude=_NOT_MAPPING),
        "sram": scenario.soc.sram.model_dump(mode="json"),
        "prices": params.prices,
        "dram_bytes_per_cycle": params.dram_bytes_per_cycle,
        "stream_bytes_per_cycle": params.stream_bytes_per_cycle,
        "transfer_overhead_cycles": params.transfer_overhead_cycles,
        "objective": objective,
    }
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class LayerMapper:
    """Maps the layers of one scenario: each distinct shape once per instance, through
    the persistent cache when the scenario allows it.

    Life cycle: build one per run (or per `soc map`), call `map` per layer."""

    def __init__(self, scenario: ScenarioConfig, params: CostParams) -> None:
        self._scenario = scenario
        self._params = params
        self._objective = scenario.workload.objective
        self._cache = cache_root() / "mappings" if scenario.run.mapping_cache else None
        self._code: str | None = None
        self._seen: dict[tuple, LayerMapping] = {}

    def map(self, layer: Layer) -> LayerMapping:
        """The flexible choice and the fixed dataflows' best for `layer`."""
        shape = layer_shape(layer)
        found = self._seen.get(shape)
        if found is None:
            found = self._seen[shape] = self._search(layer)
        return found if found.layer is layer else LayerMapping(layer, found.best, found.baselines)

    def _search(self, layer: Layer) -> LayerMapping:
        soc = self._scenario.soc
        if self._cache is None:
            return map_layer(layer, soc.flexnn, soc.sram, self._params, self._objective)
        if self._code is None:
            self._code = _code_digest()
        key = mapping_key(layer, self._scenario, self._params, self._objective, self._code)
        path = self._cache / f"{key}.json"
        stored = _read(path, key)
        if stored is not None:
            return LayerMapping(layer, *stored)
        result = map_layer(layer, soc.flexnn, soc.sram, self._params, self._objective)
        _write(path, _entry(key, result))
        return result


def _choice_json(choice: Choice | None) -> dict | None:
    if choice is None:
        return None
    return {
        "name": choice.descriptor.name,
        "loops": choice.descriptor.as_config(),
        "cost": dataclasses.asdict(choice.cost),
    }


def _entry(key: str, result: LayerMapping) -> dict:
    return {
        "key": key,
        "best": _choice_json(result.best),
        "baselines": {kind: _choice_json(result.baselines[kind]) for kind in FIXED},
    }


MAX_ENTRY_BYTES = 16 * 2**20  # an entry is a few kB; anything far larger is not one
_COST_TYPES = {"int": int, "float": float, "dict[str, float]": dict}


def _choice_from(data: dict | None) -> Choice | None:
    if data is None:
        return None
    values = data["cost"]
    fields = {f.name: f.type for f in dataclasses.fields(Cost)}
    if set(values) != set(fields):
        raise ValueError("cost fields differ")
    for name, kind in fields.items():
        if type(values[name]) is not _COST_TYPES[kind]:
            raise ValueError(f"cost field {name} is not {kind}")
    if not all(type(v) in (int, float) for v in values["energy_by_action"].values()):
        raise ValueError("energy_by_action is not numbers")
    numbers = [v for v in values.values() if type(v) in (int, float)]
    if not all(math.isfinite(v) for v in [*numbers, *values["energy_by_action"].values()]):
        raise ValueError("a cost is not finite")
    return Choice(Descriptor.parse(data["loops"], name=data["name"]), Cost(**values))


def _read(path: Path, key: str) -> tuple[Choice, dict[str, Choice | None]] | None:
    """A stored entry, or None if absent, unreadable or not a whole entry for `key`."""
    try:
        check_input_file(path, "mapping cache entry", MAX_ENTRY_BYTES)
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["key"] != key:
            raise ValueError("entry of another key")
        best = _choice_from(data["best"])
        if best is None:
            raise ValueError("no flexible choice")
        baselines = {kind: _choice_from(data["baselines"][kind]) for kind in FIXED}
    except FileNotFoundError:
        return None
    except (
        OSError,
        ValueError,  # JSON and UTF-8 errors too
        KeyError,
        TypeError,
        AttributeError,
        ArithmeticError,
        RecursionError,  # JSON nested thousands deep
        FlexsocError,  # over the size limit, or a descriptor that no longer parses
    ) as exc:
        if not path.exists():
            return None
        # a damaged entry is recomputed, whatever the damage
        _debug("mapping cache entry ignored", path=str(path), error=str(exc))
        return None
    return best, baselines


def _debug(event: str, **fields: str) -> None:
    """Log on the rare path only: a cache hit does not import structlog (issue 10).
    Only where the caller configured structlog (`soc run -v`, `soc.run(verbose=True)`):
    unconfigured, it prints every level, and `soc validate` or `soc map` would show a
    debug line for a cache folder that cannot be written."""
    import structlog

    if structlog.is_configured():
        structlog.get_logger(__name__).debug(event, **fields)


def _write(path: Path, entry: dict) -> None:
    """Write `entry` whole or not at all; a cache that cannot be written is skipped."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump(entry, handle)
        os.replace(tmp, path)
    except OSError as exc:
        _debug("mapping cache not written", path=str(path), error=str(exc))
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
