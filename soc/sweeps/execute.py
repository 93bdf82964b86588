"""Running a sweep: the sweep folder, each point's run (in a worker process), resuming.

Life cycle of `run_sweep`: read and check the spec → check the output folder (read
only) → load every point's scenario (nothing is written if one fails) → mark the
folder as a sweep folder → rows of points already complete → submit the rest to an
executor (a process pool, a local Dask cluster or an existing one: all three are a
`concurrent.futures.Executor`, so one loop gathers results) → after every point,
rewrite the results table.

A point's run folder is written by `soc.runner.run_scenario`, which builds it under a
hidden staging name and renames it into place when complete; a point counts as done
when its folder carries the run marker, a summary, and a config.yaml whose resolved
scenario has the point's key.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from soc.config import ScenarioConfig
from soc.config.yaml_safe import load_yaml
from soc.errors import ConfigError, FlexsocError, OutputError
from soc.limits import check_input_file
from soc.runner.outputs import RunOrigin, discard, read_marker
from soc.sweeps.metrics import Metrics, key_metrics
from soc.sweeps.spec import Point, SweepSpec, data_key, expand, parse_spec, read_spec
from soc.sweeps.table import build_table, write_results

if TYPE_CHECKING:
    import pyarrow as pa

SWEEP_MARKER = ".flexsoc-sweep"
POINTS = "points"
ProgressCallback = Callable[[int, int, int], None]  # (done, failed, total)


@dataclass(frozen=True)
class PointTask:
    """What a worker needs to run one point: its scenario and absolute run folder."""

    config: ScenarioConfig
    folder: str
    origin: RunOrigin
    helpers: bool = True  # may write its files in helper processes (one point at a time)


@dataclass(frozen=True)
class PointOutcome:
    """A finished point: ok or failed (with a one-line error), wall time, metrics."""

    status: str
    error: str | None
    wall_s: float | None  # None: reused, and no earlier table gave it
    metrics: Metrics | None


def _one_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    return text if isinstance(exc, FlexsocError) else f"{type(exc).__name__}: {text}"


def _worker_signals() -> None:
    """In a pool worker, SIGTERM exits through Python's clean-up, so a point stopped
    mid-run removes its staging folder (run_scenario discards it on any exception)."""
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))


def _clear_stale_staging(points: Path) -> None:
    """Remove staging folders of point runs that a killed sweep left (hidden, marked as
    ours; one sweep at a time per folder)."""
    for staging in points.glob(".*.partial"):
        discard(staging)


def run_point(task: PointTask) -> PointOutcome:
    """Simulate one point into its run folder (a worker process's entry point)."""
    import logging

    import structlog

    from soc.plan.estimate import plan_checked
    from soc.runner import run_scenario

    # a worker is a process of its own: keep the components' debug events off its stdout
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    started = time.perf_counter()
    try:
        # as soc run refuses it: a point that would run for hours fails now
        compiled, _ = plan_checked(task.config)
        result = run_scenario(
            task.config,
            Path(task.folder),
            origin=task.origin,
            overwrite=True,
            compiled=compiled,
            helpers=task.helpers,
        )
    except Exception as exc:  # the point fails; the sweep goes on
        return PointOutcome("failed", _one_line(exc), time.perf_counter() - started, None)
    return PointOutcome("ok", None, result.wall_s, key_metrics(result.summary))


def completed_summary(folder: Path, key: str) -> dict[str, object] | None:
    """The summary of a complete run folder of the scenario with `key`, else None."""
    if read_marker(folder) is None:
        return None
    try:  # a folder edited by hand or damaged is not done: the point runs again
        config, _ = load_yaml(folder / "config.yaml")
        if data_key(config) != key:
            return None
        summary_path = folder / "summary.json"
        check_input_file(summary_path, "summary")
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (FlexsocError, OSError, ValueError, TypeError, RecursionError, yaml.YAMLError):
        return None
    return summary if isinstance(summary, dict) and summary.get("complete", True) else None


def check_sweep_folder(out: Path) -> None:
    """Refuse an output folder holding anything but an earlier sweep of ours."""
    if out.is_symlink():
        raise OutputError(f"{out}: is a symbolic link; name a folder")
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; name a new folder")
    if any(out.iterdir()) and not (out / SWEEP_MARKER).is_file():
        raise OutputError(
            f"{out}: exists and is not a flexsoc sweep folder; refusing to write into it "
            "(name a new folder)"
        )


def _claim(out: Path, source: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / POINTS).mkdir(exist_ok=True)
    (out / SWEEP_MARKER).write_text(json.dumps({"sweep": source}) + "\n", encoding="utf-8")


def _earlier_walls(out: Path) -> dict[str, float]:
    """wall_s of each key in the folder's earlier results table (to keep for reuse)."""
    path = out / "results.parquet"
    if not path.is_file():
        return {}
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path, columns=["key", "wall_s", "status"]).to_pylist()
    except Exception:  # an unreadable table of ours: the walls are only informative
        return {}
    return {r["key"]: r["wall_s"] for r in rows if r["status"] == "ok"}


@contextmanager
def _executor(workers: int, dask_local: int | None, scheduler: str | None) -> Iterator[Executor]:
    """Local processes, a local Dask cluster, or an existing Dask cluster."""
    if dask_local is None and scheduler is None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: the parent may run threads (a progress bar); forking them is unsafe
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_signals)
        try:
            yield pool
        except BaseException:  # interrupted: stop the points running, not only queued ones
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()  # SIGTERM: the worker discards its staging folder
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    import logging

    from distributed import Client, LocalCluster

    cluster = None
    if dask_local is not None:
        cluster = LocalCluster(
            n_workers=dask_local,
            threads_per_worker=1,  # the simulation holds the GIL: one point per process
            processes=True,
            memory_limit=0,  # as the process pool: no pausing or restarts on memory
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    try:
        client = Client(cluster if cluster is not None else scheduler, timeout=30)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise ConfigError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _spec_and_base(path_or_spec: str | Path | dict | SweepSpec) -> tuple[SweepSpec, Path, str]:
    """The spec, its base scenario's path, and how errors name the sweep."""
    if isinstance(path_or_spec, str | Path):
        path = Path(path_or_spec)
        spec = read_spec(path)
        return spec, path.parent / spec.base, str(path)
    spec = path_or_spec
    if not isinstance(spec, SweepSpec):
        spec = parse_spec(spec, "sweep")
    return spec, Path(spec.base), "sweep"


def run_sweep(
    path_or_spec: str | Path | dict | SweepSpec,
    out: str | Path,
    *,
    workers: int = 1,
    dask_local: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    csv: bool = False,
    on_point: ProgressCallback | None = None,
) -> pa.Table:
    """Run every point of a sweep (a file, or its contents as a dict: then `base` is
    relative to the current folder) into `out`; return the results table (pyarrow).

    Points whose run folder is complete are not run again unless `force`. Runs on
    `workers` local processes, or a local Dask cluster of `dask_local` processes, or
    the Dask scheduler at `scheduler` (its workers must see `out` and the scenario's
    files at the same paths). Raises `ConfigError` (nothing written) for a bad spec or
    point, `OutputError` for an `out` holding something else.
    """
    if dask_local is not None and scheduler is not None:
        raise ConfigError("give at most one of dask_local and scheduler")
    if workers < 1 or (dask_local is not None and dask_local < 1):
        raise ConfigError("workers and dask_local must be at least 1")
    spec, base, where = _spec_and_base(path_or_spec)
    out = Path(out)
    check_sweep_folder(out)
    points = expand(spec, base, where)  # every point checked before anything is written
    _claim(out, str(Path(where).resolve()) if where != "sweep" else where)
    axes = [a.path for a in spec.axes]
    axis_values = [a.value_list() for a in spec.axes]
    metadata = {"base": str(base), "mode": spec.mode, "seed": spec.seed, "axes": axes}
    metadata["set"] = list(spec.set)
    _clear_stale_staging(out / POINTS)
    walls = _earlier_walls(out)
    by_key: dict[str, list[Point]] = {}
    for point in points:
        by_key.setdefault(point.key, []).append(point)
    rows: list[dict[str, object]] = []
    failed = 0

    def record(key: str, outcome: PointOutcome, reused: bool) -> None:
        nonlocal failed
        for point in by_key[key]:
            rows.append(_row(point, outcome, reused))
            failed += outcome.status != "ok"
        write_results(build_table(rows, axes, axis_values, metadata), out, csv)
        if on_point is not None:
            on_point(len(rows), failed, len(points))

    todo = []
    for key, group in by_key.items():
        folder = out / POINTS / key
        summary = None if force else completed_summary(folder, key)
        if summary is None:
            origin = RunOrigin(group[0].config.name, where)
            alone = workers == 1 and dask_local is None and scheduler is None
            todo.append(PointTask(group[0].config, str(folder.resolve()), origin, alone))
            continue
        record(key, PointOutcome("ok", None, walls.get(key), key_metrics(summary)), True)
    if not rows:
        write_results(build_table(rows, axes, axis_values, metadata), out, csv)
    if on_point is not None:  # before the first point to run finishes
        on_point(len(rows), failed, len(points))
    if todo:
        _run_all(todo, workers, dask_local, scheduler, lambda k, o: record(k, o, False))
    return build_table(rows, axes, axis_values, metadata)


def _run_all(
    todo: list[PointTask],
    workers: int,
    dask_local: int | None,
    scheduler: str | None,
    done: Callable[[str, PointOutcome], None],
) -> None:
    """Submit every task; report each outcome as it finishes. A worker that dies makes
    its point a failed one; an interrupt cancels what has not started."""
    with _executor(workers, dask_local, scheduler) as pool:
        futures: dict[Future, str] = {
            pool.submit(run_point, task): Path(task.folder).name for task in todo
        }
        try:
            for future in as_completed(futures):
                try:
                    outcome = future.result()
                except Exception as exc:  # the worker process died, or the cluster failed
                    outcome = PointOutcome("failed", f"worker lost: {_one_line(exc)}", 0.0, None)
                done(futures[future], outcome)
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _row(point: Point, outcome: PointOutcome, reused: bool) -> dict[str, object]:
    return {
        "point": point.index,
        "key": point.key,
        "status": outcome.status,
        "error": outcome.error,
        "run_folder": f"{POINTS}/{point.key}",
        "wall_s": outcome.wall_s,
        "reused": reused,
        "values": [value for _, value in point.values],
        "metrics": outcome.metrics,
    }
