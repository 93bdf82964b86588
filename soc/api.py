"""The Python API: run a scenario or a sweep from a notebook, get typed results back.

`run` loads a scenario the way `soc run` does (the same loader, the same `--set`
overrides, the same errors) and simulates it with the runner's own functions; `sweep`
wraps `soc.sweeps.run_sweep`. Results are typed: the summary as the pydantic models of
`soc.report.schema` (the models that document summary.json), its tables as pyarrow
Tables (`.to_pandas()` on any of them when pandas is installed).

Overrides, a rule shared with the command line: `set={"soc.dram.fidelity": "banked"}`
is `--set soc.dram.fidelity=banked`, and a keyword argument names the same key with
``__`` for each dot, `soc__dram__fidelity="banked"`; list items (`pipelines[0].fps`)
only go through `set=`. A value is the Python value itself (the string "3" stays a
string), not YAML text. `set=` also takes a list of `KEY=VALUE` texts, as `--set`
and a sweep file's `set:` take them.

Life cycle: `run(...)` → `RunResult` (also `RunResult.from_folder(path)` for a run
folder written earlier); `sweep(...)` → `SweepResult`, whose `run(i)` loads a point.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pyarrow as pa
import yaml
from pydantic import BaseModel, ValidationError

from soc.config import ScenarioConfig, load_scenario, resolved_yaml
from soc.errors import ConfigError, MappingError, OutputError, WorkloadError
from soc.limits import check_input_file
from soc.plan.estimate import plan_checked
from soc.plan.pipelines import ScenarioPlan
from soc.report.export import layer_records
from soc.report.schema import Frame, Op, Summary
from soc.runner.control import RunLimits, parse_sim_ps, parse_wall_s
from soc.runner.outputs import RunOrigin
from soc.runner.run import (
    RunControl,
    build_summary,
    events_processed,
    run_scenario,
    simulate_bounded,
)

Scenario = str | Path | ScenarioConfig
OverrideValue = object  # what YAML can hold: str, int, float, bool, None, lists, mappings
Overrides = Mapping[str, OverrideValue] | Sequence[str]  # keys to values, or KEY=VALUE texts
_DOCUMENT_END = "\n...\n"  # what yaml.safe_dump puts after a lone scalar


def override_texts(set: Overrides | None = None, **overrides: object) -> list[str]:
    """The `--set KEY=VALUE` texts of API overrides: `set`'s first, then the keyword
    arguments with ``__`` read as a dot. A value is written as YAML that the loader
    reads back as the same value (a pydantic model as its fields); `set` may instead
    be a list of `KEY=VALUE` texts, as a sweep file's `set:` and `--set` take them
    (the value read as YAML)."""
    if isinstance(set, str) or not isinstance(set, Mapping | Sequence | None):
        raise ConfigError(f"set={set!r}: expected a mapping of keys to values or KEY=VALUE texts")
    texts = [] if set is None or isinstance(set, Mapping) else list(set)
    for text in texts:
        if not isinstance(text, str):
            raise ConfigError(f"set: {text!r} is not a KEY=VALUE text")
    given = [*(set.items() if isinstance(set, Mapping) else ())]
    given += [(key.replace("__", "."), value) for key, value in overrides.items()]
    for key, value in given:
        if not isinstance(key, str) or "=" in key:
            raise ConfigError(f"override {key!r}: a key is a dotted path such as soc.dram.preset")
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        elif isinstance(value, Path):
            value = str(value)
        try:
            text = yaml.safe_dump(value, default_flow_style=True, width=1 << 30)
        except yaml.YAMLError:
            raise ConfigError(
                f"--set {key}: a {type(value).__name__} is no scenario value "
                "(str, int, float, bool, None, lists and mappings of them)"
            ) from None
        texts.append(f"{key}={text.removesuffix(_DOCUMENT_END).strip()}")
    return texts


def load(scenario: Scenario, texts: Sequence[str] = ()) -> ScenarioConfig:
    """The scenario with the `--set` texts applied, validated by `load_scenario`.

    A ScenarioConfig with overrides is loaded from its resolved YAML (written to a
    temporary file), so its overrides are checked as a file's are; paths in it should
    be absolute (the loader reads a file's relative paths from the file's folder)."""
    if not isinstance(scenario, ScenarioConfig):
        return load_scenario(Path(scenario), texts)
    if not texts:
        return scenario
    with tempfile.TemporaryDirectory(prefix="flexsoc-api-") as folder:
        path = Path(folder) / f"{scenario.name}.yaml"
        path.write_text(resolved_yaml(scenario), encoding="utf-8")
        return load_scenario(path, texts)


def run(
    scenario: Scenario,
    *,
    set: Overrides | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    verbose: bool = False,
    max_wall: str | None = None,
    max_sim: str | None = None,
    force: bool = False,
    **overrides: object,
) -> RunResult:
    """Simulate `scenario` (a YAML path or a ScenarioConfig) with overrides.

    `out=None` (the default) writes nothing: the results stay in memory, and the
    scenario's traces and plots (run.chrome_trace, run.plots, ...) are not made. With
    `out`, the run folder is written as `soc run --out` writes it (`overwrite` as
    `--overwrite`). Raises ConfigError naming the key at fault, like `soc run --set`.
    The simulator's debug log is shown with `verbose` (as `soc run -v`), or as the
    caller configured structlog. `max_wall` ("10m") and `max_sim` ("2 ms") bound the
    run as `soc run --max-wall/--max-sim` do: its summary then says `complete` false;
    a simulation that stalls raises StallError naming the blocked processes. A scenario
    whose estimated cost is far beyond its intent raises ConfigError naming the key, as
    `soc run` refuses it, unless `force`.
    """
    limits = _limits(max_wall, max_sim)
    config = load(scenario, override_texts(set, **overrides))
    source = "" if isinstance(scenario, ScenarioConfig) else str(Path(scenario).resolve())
    try:
        compiled, _ = plan_checked(config, force)
        with _log_level(logging.DEBUG if verbose else logging.WARNING):
            if out is None:
                return _in_memory(config, limits, compiled)
            result = run_scenario(
                config,
                Path(out),
                origin=RunOrigin(config.name, source),
                overwrite=overwrite,
                control=RunControl(limits),
                compiled=compiled,
            )
    except (WorkloadError, MappingError) as exc:  # as `soc run`: name the file
        if isinstance(scenario, ScenarioConfig):
            raise
        raise type(exc)(f"{scenario}: {exc}") from None
    return RunResult(
        Summary.model_validate(result.summary),
        config,
        Path(out),
        result.wall_s,
        result.events,
    )


@contextmanager
def _log_level(level: int) -> Iterator[None]:
    """While running, structlog filtered at `level` (as the CLI sets it), unless the
    caller configured structlog: then theirs applies. Its defaults come back after, so
    nothing stays configured. The components bind their loggers as they are built,
    inside the run."""
    import structlog

    if structlog.is_configured():
        yield
        return
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level))
    try:
        yield
    finally:
        structlog.reset_defaults()


def _limits(max_wall: str | None, max_sim: str | None) -> RunLimits:
    """`max_wall` and `max_sim` as run bounds; a malformed one is a ConfigError."""
    try:
        wall = parse_wall_s(max_wall) if max_wall is not None else None
        sim = parse_sim_ps(max_sim) if max_sim is not None else None
    except ValueError as exc:
        raise ConfigError(f"max_wall / max_sim: {exc}") from None
    return RunLimits(max_sim_ps=sim, max_wall_s=wall)


def _in_memory(config: ScenarioConfig, limits: RunLimits, compiled: ScenarioPlan) -> RunResult:
    """The runner's simulate and summary, without the run folder or any trace sink."""
    started = time.perf_counter()
    control = RunControl(limits)
    system, stats, energy, stopped = simulate_bounded(config, [], None, control, compiled)
    events = events_processed(system)
    summary = build_summary(config, system, stats, energy, stopped)
    wall_s = time.perf_counter() - started
    return RunResult(Summary.model_validate(summary), config, None, wall_s, events)


@dataclass(frozen=True)
class EnergyTables:
    """A run's energy breakdown (summary.energy) as tables, in pJ over the run, except
    `by_layer`: per run of the layer (frame)."""

    total_pj: float
    by_component: pa.Table  # component, dynamic_pj, static_pj, total_pj
    by_layer: pa.Table  # layer, dynamic_pj, static_pj, total_pj, then pJ per component
    by_master: pa.Table  # master, dynamic_pj
    by_action: pa.Table  # action, energy_pj ('static' is the static energy)


@dataclass(frozen=True, repr=False)
class RunResult:
    """One run's results: the summary as pydantic models, its tables as pyarrow Tables.

    `summary` is summary.json typed (`soc.report.schema.Summary`); `config` the
    resolved scenario; `run_dir` the run folder, None when nothing was written;
    `wall_s` and `events` (SimPy events processed) the run's cost, None when loaded
    from a folder. The tables are built on first use.
    """

    summary: Summary
    config: ScenarioConfig
    run_dir: Path | None = None
    wall_s: float | None = None
    events: int | None = None

    @classmethod
    def from_folder(cls, path: str | Path) -> RunResult:
        """Load a run folder written earlier (its summary.json and config.yaml)."""
        folder = Path(path)
        summary_path, config_path = folder / "summary.json", folder / "config.yaml"
        for needed in (summary_path, config_path):
            if not needed.is_file():
                raise OutputError(f"{folder}: no {needed.name}; not a flexsoc run folder")
        check_input_file(summary_path, "run summary")
        try:
            data = json.loads(summary_path.read_text(encoding="utf-8"))
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "not JSON"
            raise OutputError(f"{summary_path}: not JSON ({first})") from None
        try:
            summary = Summary.model_validate(data)
        except ValidationError as exc:  # another version's summary, or an edited file
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(top level)"
            raise OutputError(f"{summary_path}: {where}: {first['msg']}") from None
        return cls(summary, load_scenario(config_path), folder)

    def to_dict(self) -> dict[str, object]:
        """The summary as plain data, as summary.json holds it."""
        return self.summary.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def __repr__(self) -> str:
        where = f", run_dir={str(self.run_dir)!r}" if self.run_dir else ""
        s = self.summary
        return f"RunResult(scenario={s.scenario!r}, total_ps={s.total_ps}{where})"

    @cached_property
    def layers(self) -> pa.Table:
        """Per accelerator layer, per frame: the rows of `soc run --format csv`."""
        return _table(layer_records(self.to_dict()))

    @cached_property
    def frames(self) -> pa.Table:
        """Per frame: pipeline, frame, start_ps, latency_ps."""
        return _table([f.model_dump() for f in self.summary.frames], list(Frame.model_fields))

    @cached_property
    def ops(self) -> pa.Table:
        """Per op of the workload graph: where it ran, why, and its time per frame."""
        return _table([o.model_dump() for o in self.summary.ops], list(Op.model_fields))

    @cached_property
    def pipelines(self) -> pa.Table:
        """Per pipeline: frames, deadline misses, frame latency, rate, energy, power."""
        rows = []
        for name, p in self.summary.pipelines.items():
            row = p.model_dump(exclude={"latency_ps", "models"})
            latency = _flat(p.latency_ps.model_dump(exclude_none=True), "latency")
            rows.append({"pipeline": name, "models": " ".join(p.models), **row, **latency})
        return _table(rows)

    @cached_property
    def dram(self) -> pa.Table:
        """Per DRAM master: its traffic counts and bandwidth, row-hit rates (banked),
        and its latency figures (`latency_p99_ps`, `service_latency_read_p50_ps`, ...)."""
        dram = self.summary.dram
        masters = sorted({*dram.by_master, *dram.latency_ps, *dram.service_latency_ps})
        rows = []
        for master in masters:
            row: dict[str, object] = {"master": master}
            if master in dram.by_master:
                row |= dram.by_master[master].model_dump()
            for name in ("latency", "service_latency"):
                stats = getattr(dram, f"{name}_ps").get(master)
                if stats is not None:
                    row |= _flat(stats.model_dump(exclude_none=True), name)
            rows.append(row)
        return _table(rows)

    @cached_property
    def dram_bandwidth(self) -> pa.Table:
        """DRAM bandwidth over time: t_ps (window start), then bytes/s per master."""
        timeline = self.summary.dram.bandwidth_over_time
        return _timeline(timeline.window_ps, timeline.bytes_per_s)

    @cached_property
    def power(self) -> pa.Table:
        """Power over time: t_ps (window start), then watts per component."""
        timeline = self.summary.energy.power_over_time
        return _timeline(timeline.window_ps, timeline.watts)

    @cached_property
    def energy(self) -> EnergyTables:
        """The energy breakdown as tables (summary.energy holds it as models)."""
        e = self.summary.energy
        layers = [
            {"layer": name, **le.model_dump(exclude={"by_component"}), **le.by_component}
            for name, le in e.by_layer.items()
        ]
        return EnergyTables(
            total_pj=e.total_pj,
            by_component=_table(
                [
                    {"component": name, **c.model_dump(exclude={"by_action"})}
                    for name, c in e.by_component.items()
                ]
            ),
            by_layer=_table(layers),
            by_master=_table([{"master": m, "dynamic_pj": pj} for m, pj in e.by_master.items()]),
            by_action=_table([{"action": a, "energy_pj": pj} for a, pj in e.by_action.items()]),
        )


def _flat(stats: dict[str, object], prefix: str) -> dict[str, object]:
    """Latency figures as columns: {p99: x, read: {p99: y}} -> latency_p99_ps,
    latency_read_p99_ps (count stays a count: latency_count)."""
    out: dict[str, object] = {}
    for key, value in stats.items():
        if isinstance(value, dict):
            out |= _flat(value, f"{prefix}_{key}")
        else:
            out[f"{prefix}_{key}" + ("" if key == "count" else "_ps")] = value
    return out


def _table(rows: list[dict[str, object]], columns: list[str] | None = None) -> pa.Table:
    """Rows as a table; columns in first-seen order (or `columns`), a missing value null."""
    names = columns or list(dict.fromkeys(name for row in rows for name in row))
    return pa.table({name: [row.get(name) for row in rows] for name in names})


def _timeline(window_ps: int, series: Mapping[str, list[float]]) -> pa.Table:
    """Per-window series as columns beside the windows' start times."""
    length = max((len(values) for values in series.values()), default=0)
    columns: dict[str, list[object]] = {"t_ps": [i * window_ps for i in range(length)]}
    for name, values in series.items():
        columns[name] = [*values, *([None] * (length - len(values)))]
    return pa.table(columns)


# --- sweeps -------------------------------------------------------------------------

ERROR_COLUMN = "error"
RUN_DIR_COLUMN = "run_folder"
"""The sweep table's columns SweepResult reads: a point's error (null if it ran) and
its run folder."""


@dataclass(frozen=True, repr=False)
class SweepResult:
    """A sweep's results table (a row per point) and the folder it was written to."""

    table: pa.Table
    out_dir: Path

    def __repr__(self) -> str:
        return (
            f"SweepResult(points={self.table.num_rows}, failed={self.failed.num_rows}, "
            f"out_dir={str(self.out_dir)!r})"
        )

    def _failed_mask(self) -> pa.ChunkedArray:
        import pyarrow.compute as pc

        if ERROR_COLUMN not in self.table.column_names:
            return pa.chunked_array([[False] * self.table.num_rows], pa.bool_())
        errors = pc.cast(self.table.column(ERROR_COLUMN), pa.string())
        return pc.fill_null(pc.not_equal(errors, ""), False)  # null: no error

    @property
    def ok(self) -> pa.Table:
        """The points that ran."""
        import pyarrow.compute as pc

        return self.table.filter(pc.invert(self._failed_mask()))

    @property
    def failed(self) -> pa.Table:
        """The points whose simulation failed, with their error."""
        return self.table.filter(self._failed_mask())

    def pareto(
        self, latency: str = "frame_latency_p99_ps", energy: str = "energy_per_frame_pj"
    ) -> pa.Table:
        """The points that ran and that no other such point beats on both columns (both
        minimised; `soc.report.pareto`); a point missing either value is on no front."""
        from soc.report.pareto import pareto_front

        ok = self.ok
        for name in (latency, energy):
            if name not in ok.column_names:
                raise OutputError(f"{self.out_dir}: the results have no column {name!r}")
        xy = [
            (math.nan if x is None else float(x), math.nan if y is None else float(y))
            for x, y in zip(
                ok.column(latency).to_pylist(), ok.column(energy).to_pylist(), strict=True
            )
        ]
        return ok.take(pareto_front(xy))

    def run(self, index: int) -> RunResult:
        """The results of point `index` (a row of `table`), loaded from its run folder."""
        value = self.table.column(RUN_DIR_COLUMN)[index].as_py()
        if not value:
            raise OutputError(f"{self.out_dir}: point {index} has no run folder")
        return RunResult.from_folder(self.out_dir / value)  # relative: to the sweep folder


def sweep(
    spec: str | Path | Mapping[str, object],
    out: str | Path,
    *,
    workers: int = 1,
    dask_local: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    csv: bool = False,
    on_point: Callable[[int, int, int], None] | None = None,
) -> SweepResult:
    """Run a sweep (a sweep YAML file, or its content as a mapping) into `out`, as
    `soc sweep` does: `workers` local processes, or a local Dask cluster of
    `dask_local` workers, or the Dask scheduler at `scheduler`; points already done
    are skipped unless `force`; `csv` writes results.csv beside results.parquet, and
    `on_point(done, failed, total)` is called as each point finishes."""
    from soc.sweeps import run_sweep  # the sweep machinery (and Dask) only when used

    source = Path(spec) if isinstance(spec, str | Path) else dict(spec)
    table = run_sweep(
        source,
        Path(out),
        workers=workers,
        dask_local=dask_local,
        scheduler=scheduler,
        force=force,
        csv=csv,
        on_point=on_point,
    )
    return SweepResult(table, Path(out))
