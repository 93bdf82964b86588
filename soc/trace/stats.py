"""Run statistics gathered from the event stream: layers, frames, activity totals."""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence

import numpy as np

from soc.kernel.vocab import Action, SpanKind
from soc.trace.events import (
    ACTIVITY,
    INSTANT,
    SAMPLE,
    SPAN,
    ActivityEvent,
    CounterEvent,
    InstantEvent,
    Record,
    SampleEvent,
    Sink,
    SpanEvent,
)
from soc.trace.timeline import DRAM_SERVED, WindowedSums, add_at

_SUMMED = (
    "macs",
    "rounds",
    "compute_cycles",
    "sparse_cycles",
    "balanced_cycles",
    "performed_macs",
    "load_ps",
    "compute_ps",
    "drain_ps",
)


_COLLECTED_KINDS = frozenset({SpanKind.LAYER, SpanKind.HOST_OP, SpanKind.FRAME})
"""The span kinds `StatsCollector.on_span` takes in."""


class StatsCollector(Sink):
    """Aggregates what the summary reports. Read `layers`, `frames`, `activity` after
    the run; `by_master[component][action][master]` attributes traffic to masters;
    `bandwidth` bins each master's DRAM bytes served in windows of `window_ps`, which
    become counter tracks "dram.bandwidth" / "<master> GB/s".

    Activity is summed per (component, action, master) as it arrives; `activity` and
    `by_master` are views of those sums, built when read (keys in first-seen order)."""

    def __init__(self, window_ps: int = 10_000_000) -> None:
        self.bandwidth = WindowedSums(window_ps)
        self.layers: dict[str, dict[str, object]] = {}
        self.frames: list[dict[str, int]] = []
        self.deadline_misses: list[dict[str, object]] = []
        # per (component, action, master), in first-seen order: [amount so far, the
        # master's bandwidth row if these are DRAM bytes served, else None]
        self._amounts: dict[tuple[str, Action, str | None], list] = {}
        self._views: tuple[dict, dict] | None = None
        self.end_ps = 0
        # the observations of each distribution, in order: 8 bytes each while they are
        # ints of 64 bits (latencies in ps), a list of the values as given otherwise;
        # FOLD_AT ints in all are folded into `_folded` (distinct values and their counts),
        # so a long run's memory grows with the distinct latencies, not with requests
        self.samples: dict[tuple[str, str, str | None], array | list[float]] = {}
        self._folded: dict[tuple[str, str, str | None], tuple[np.ndarray, np.ndarray]] = {}
        self.events: dict[tuple[str, str], list[dict[str, object]]] = defaultdict(list)
        # ops run on the host CPU: per op, runs, summed time, cycles and bytes per run
        self.host_ops: dict[str, dict[str, int]] = {}

    def on_span(self, event: SpanEvent) -> None:
        if event.kind == SpanKind.LAYER:
            self._add_layer(event)
        elif event.kind == SpanKind.HOST_OP:
            f = event.fields
            entry = self.host_ops.setdefault(str(f["layer"]), {"runs": 0, "elapsed_ps": 0})
            entry["runs"] += 1
            entry["elapsed_ps"] += event.end_ps - event.start_ps
            entry["cycles"] = f["cycles"]
            entry["read_bytes"], entry["write_bytes"] = f["read_bytes"], f["write_bytes"]
        elif event.kind == SpanKind.FRAME:
            self.frames.append(
                {
                    "pipeline": str(event.fields.get("pipeline", "main")),
                    "frame": int(event.fields["frame"]),
                    "start_ps": event.start_ps,
                    "latency_ps": event.end_ps - event.start_ps,
                }
            )

    def _add_layer(self, event: SpanEvent) -> None:
        f = event.fields
        entry = self.layers.get(str(f["layer"]))
        if entry is None:
            entry = self.layers[str(f["layer"])] = {
                "layer": f["layer"],
                "op": f["op"],
                "dataflow": f.get("dataflow", ""),
                "loop_nest": f.get("loop_nest", ""),
                "tiles": f["tiles"],
                "runs": 0,
                "elapsed_ps": 0,
                **dict.fromkeys(_SUMMED, 0),
                "stall_ps": defaultdict(int),
                "mac_slots": 0.0,
            }
        entry["runs"] += 1
        entry["elapsed_ps"] += event.end_ps - event.start_ps
        for key in _SUMMED:
            entry[key] += f[key]
        entry["densities"] = (f["if_density"], f["fl_density"])
        for cause, ps in f["stall_ps"].items():
            entry["stall_ps"][cause] += ps
        utilisation = float(f["mac_utilisation"])
        entry["mac_slots"] += f["macs"] / utilisation if utilisation else 0.0

    def on_instant(self, event: InstantEvent) -> None:
        if event.name == "deadline_miss":
            self.deadline_misses.append(dict(event.fields))
        else:  # underflows, late lines: rare events, kept per track and name
            self.events[(event.track, event.name)].append({"t_ps": event.t_ps, **event.fields})

    def on_sample(self, event: SampleEvent) -> None:
        self._add_sample((event.component, event.name, event.master), event.value)

    def _add_sample(self, key: tuple[str, str, str | None], value: float) -> None:
        values = self.samples.get(key)
        if values is None:
            values = self.samples[key] = array("q")
        if type(value) is int and type(values) is array:
            try:
                values.append(value)
                return
            except OverflowError:
                pass
        if type(values) is array:  # a value that is no int of 64 bits: keep them all as given
            values = self.samples[key] = self._unfolded(key, values)
        values.append(value)

    def _unfolded(self, key: tuple[str, str, str | None], values: array) -> list:
        """Every sample of `key` so far as a list (the folded ones in value order: the
        statistics do not depend on the order)."""
        folded = self._folded.pop(key, None)
        if folded is None:
            return values.tolist()
        return np.repeat(*folded).tolist() + values.tolist()

    def distribution(self, component: str, name: str) -> dict[str, dict[str, float]]:
        """Per master: count, mean, p50, p99 and max of the samples."""
        out = {}
        for (comp, sample_name, master), values in sorted(
            self.samples.items(), key=lambda item: str(item[0])
        ):
            if comp != component or sample_name != name:
                continue
            folded = self._folded.get((comp, sample_name, master))
            if folded is not None and type(values) is array:
                out[master or "-"] = describe_counts(*fold(folded, values))
            else:
                out[master or "-"] = describe_values(values)
        return out

    def on_activity(self, event: ActivityEvent) -> None:
        self.on_records(
            [(ACTIVITY, event.t_ps, event.component, event.action, event.amount, event.master)]
        )

    def on_records(self, records: Sequence[Record]) -> None:
        amounts = self._amounts
        window_ps = self.bandwidth.window_ps
        served = self.bandwidth.row
        self._views = None
        add_sample, samples = self._add_sample, self.samples
        for record in records:
            tag = record[0]
            if tag == ACTIVITY:
                _, t_ps, component, action, amount, master = record
                entry = amounts.get((component, action, master))
                if entry is None:
                    entry = amounts[(component, action, master)] = [
                        0,
                        served(master)
                        if master is not None and component == "dram" and action in DRAM_SERVED
                        else None,
                    ]
                entry[0] += amount
                if entry[1] is not None:
                    try:
                        entry[1][t_ps // window_ps] += amount
                    except (IndexError, TypeError):  # a window beyond the row so far
                        add_at(entry[1], t_ps // window_ps, amount)
            elif tag == SAMPLE:  # `_add_sample`, its common cases inline (most records)
                key = (record[2], record[3], record[5])
                values, value = samples.get(key), record[4]
                if type(values) is list:
                    values.append(value)
                elif type(value) is int and values is not None:
                    try:
                        values.append(value)
                    except OverflowError:
                        add_sample(key, value)
                else:
                    add_sample(key, value)
            elif tag == SPAN:
                if record[1].kind in _COLLECTED_KINDS:  # the others would be ignored
                    self.on_span(record[1])
            elif tag == INSTANT:
                self.on_instant(record[1])
        self._fold_full()

    def _fold_full(self) -> None:
        """Fold every array of samples into its counts once they hold FOLD_AT or more
        samples together."""
        samples = self.samples
        if sum(len(values) for values in samples.values()) < FOLD_AT:
            return
        for key, values in samples.items():
            if len(values) and type(values) is array:
                self._folded[key] = fold(self._folded.get(key), values)
                samples[key] = array("q")

    def _view(self) -> tuple[dict, dict]:
        """(activity, by_master) as nested dicts, from the sums."""
        if self._views is None:
            activity: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            by_master: dict[str, dict[str, dict[str, int]]] = defaultdict(
                lambda: defaultdict(lambda: defaultdict(int))
            )
            for (component, action, master), (amount, _) in self._amounts.items():
                name = action.value if isinstance(action, Action) else str(action)
                activity[component][name] += amount
                if master is not None:
                    by_master[component][name][master] += amount
            self._views = (activity, by_master)
        return self._views

    @property
    def activity(self) -> dict[str, dict[str, int]]:
        """Amount per component and action."""
        return self._view()[0]

    @property
    def by_master(self) -> dict[str, dict[str, dict[str, int]]]:
        """Amount per component, action and master (activity that names a master)."""
        return self._view()[1]

    def final_counters(self, end_ps: int) -> Iterator[CounterEvent]:
        return self.bandwidth.counters(end_ps, "dram.bandwidth", "GB/s", 1e12 / 1e9)

    def close(self, end_ps: int) -> None:
        self.end_ps = end_ps

    def layer_rows(self) -> list[dict[str, object]]:
        """Per layer, per run (frame) means; the bound is the dominant compute stall."""
        rows = []
        for entry in self.layers.values():
            runs = entry["runs"]
            stalls = dict(entry["stall_ps"])
            elapsed = entry["elapsed_ps"]
            total_stall = sum(stalls.values())
            bound = max(stalls, key=stalls.get) if total_stall * 10 > elapsed else "compute-bound"
            rows.append(
                {
                    "layer": entry["layer"],
                    "op": entry["op"],
                    "dataflow": entry["dataflow"],
                    "loop_nest": entry["loop_nest"],
                    "tiles": entry["tiles"],
                    "rounds": entry["rounds"] // runs,
                    "macs": entry["macs"] // runs,
                    "elapsed_ps": elapsed // runs,
                    "load_ps": entry["load_ps"] // runs,
                    "compute_ps": entry["compute_ps"] // runs,
                    "drain_ps": entry["drain_ps"] // runs,
                    "stall_ps": {cause: ps // runs for cause, ps in stalls.items()},
                    "bound": bound,
                    **_sparsity_row(entry, runs),
                    "mac_utilisation": entry["macs"] / entry["mac_slots"]
                    if entry["mac_slots"]
                    else 0.0,
                }
            )
        return rows

    def count(self, component: str, action: Action) -> int:
        return self.activity.get(component, {}).get(action.value, 0)


FOLD_AT = 1 << 18
"""Samples held one by one (2 MiB, all distributions together) before they are folded."""


def fold(
    folded: tuple[np.ndarray, np.ndarray] | None, values: array
) -> tuple[np.ndarray, np.ndarray]:
    """`folded` (distinct ints, ascending, and how often each was seen) with `values`
    added: exact, its size the number of distinct values."""
    distinct, counts = np.unique(np.frombuffer(values, dtype=np.int64), return_counts=True)
    counts = counts.astype(np.int64)
    if folded is None:
        return distinct, counts
    merged, where = np.unique(np.concatenate([folded[0], distinct]), return_inverse=True)
    total = np.zeros(len(merged), dtype=np.int64)
    np.add.at(total, where, np.concatenate([folded[1], counts]))
    return merged, total


def describe_counts(distinct: np.ndarray, counts: np.ndarray) -> dict[str, float]:
    """`describe_values` of the ints `distinct` (ascending) each seen `counts` times:
    the same figures as of the whole list, with the same definitions."""
    n = int(counts.sum())
    if not n:
        return describe_values([])
    p50, p99 = (n - 1) // 2, min(n - 1, math.ceil(0.99 * n) - 1)
    ends = np.cumsum(counts)  # the sorted list's index after each distinct value
    low, high = int(distinct[0]), int(distinct[-1])
    if max(-low, high) * n < 2**63:  # so does every partial sum
        total = int((distinct * counts).sum())
    else:
        total = sum(int(v) * int(c) for v, c in zip(distinct, counts, strict=True))
    return {
        "count": n,
        "mean": total / n,
        "p50": int(distinct[np.searchsorted(ends, p50, side="right")]),
        "p99": int(distinct[np.searchsorted(ends, p99, side="right")]),
        "max": high,
    }


def describe_values(values: array | list[float]) -> dict[str, float]:
    """Count, mean, p50, p99 and max of `values` (ints of 64 bits are sorted as such,
    without making an object of each; the results are the same plain numbers). No
    values (a run stopped before its first frame ended): count 0, the others None."""
    n = len(values)
    if not n:
        return {"count": 0, "mean": None, "p50": None, "p99": None, "max": None}
    p50, p99 = (n - 1) // 2, min(n - 1, math.ceil(0.99 * n) - 1)
    if type(values) is array and n:
        ordered = np.sort(np.frombuffer(values, dtype=np.int64))
        low, high = int(ordered[0]), int(ordered[-1])
        fits = max(-low, high) * n < 2**63  # so does every partial sum
        total = int(ordered.sum()) if fits else sum(values)
        return {
            "count": n,
            "mean": total / n,
            "p50": int(ordered[p50]),
            "p99": int(ordered[p99]),
            "max": high,
        }
    ordered = sorted(values)
    return {
        "count": n,
        "mean": sum(ordered) / n,
        "p50": ordered[p50],
        "p99": ordered[p99],
        "max": ordered[-1],
    }


def _sparsity_row(entry: dict, runs: int) -> dict[str, object]:
    """Dense and sparse cycles per run, achieved and estimated speed-ups, imbalance."""
    d_if, d_fl = entry["densities"]
    dense, sparse = entry["compute_cycles"], entry["sparse_cycles"]
    return {
        "dense_cycles": dense // runs,
        "sparse_cycles": sparse // runs,
        "performed_macs": entry["performed_macs"] // runs,
        "if_density": d_if,
        "fl_density": d_fl,
        "speedup": dense / sparse if sparse else 1.0,
        "ideal_speedup": 1 / (d_if * d_fl) if d_if * d_fl else None,
        "min_density_speedup": 1 / min(d_if, d_fl) if min(d_if, d_fl) else None,
        "imbalance_cycles": (sparse - entry["balanced_cycles"]) // runs,
    }
