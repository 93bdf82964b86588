"""The energy ledger: a trace sink that prices activity counts with an energy table.

Dynamic energy = sum of count x energy per unit; static energy = static power x the
run's length, per component (the first part of its path). W x ps = pJ.

Breakdowns: per component and action; per master (activity that names one); per layer
(the activity of the accelerator's components, and of requests their masters issue,
between a layer's `layer_start` instant and its layer span's end; static power of those
components over the layer's time); and over time (power per component in windows, handed
to the trace as counter tracks "power" / "<component> mW").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from soc.energy.table import EnergyTable
from soc.kernel.vocab import LAYER_START, UNPRICED_ACTIONS, Action, SpanKind
from soc.trace.events import (
    ACTIVITY,
    INSTANT,
    SPAN,
    ActivityEvent,
    CounterEvent,
    InstantEvent,
    Record,
    Sink,
    SpanEvent,
)
from soc.trace.timeline import WindowedSums, add_at

_LAYER_KINDS = frozenset({SpanKind.LAYER, SpanKind.HOST_OP})
"""The spans that end a layer (on the engine or the host CPU)."""


def component_of(path: str) -> str:
    """'npu.load' -> 'npu': energy is booked to top-level components."""
    return path.partition(".")[0]


def dynamic_energy_pj(counts: dict[str, int], table: EnergyTable) -> dict[str, float]:
    """Energy per action for activity `counts` (pure arithmetic)."""
    return {
        action: amount * table.actions[action]
        for action, amount in counts.items()
        if action in table.actions
    }


class EnergyLedger(Sink):
    """Collects priced activity; `breakdown()` after the run closes. `layer_components`
    names the top-level components whose activity (or whose requests' activity
    elsewhere) belongs to the running engine layer; `host_components` those that belong
    to an op running on the host CPU (a layer too, in the breakdown)."""

    def __init__(
        self,
        table: EnergyTable,
        window_ps: int = 10_000_000,
        layer_components: frozenset[str] = frozenset({"npu", "dma"}),
        host_components: frozenset[str] = frozenset({"cpu"}),
    ) -> None:
        self.table = table
        self.layer_components = layer_components
        self.host_components = host_components
        # per (component path, action, master), in first-seen order: see `_entry`
        self._entries: dict[tuple[str, Action, str | None], list] = {}
        # pJ per unit of each action; None for the unpriced ones (statistics only)
        self._price: dict[Action, float | None] = {
            action: None if action in UNPRICED_ACTIONS else table.actions.get(action.value, 0.0)
            for action in Action
        }
        self._by_master: dict[str, float] = defaultdict(float)
        self._power = WindowedSums(window_ps)
        # the running engine layer and the running host op (pipelines overlap them)
        self._layer: str | None = None
        self._host: str | None = None
        self._layer_static: dict[str, frozenset[str]] = {}
        self._layer_pj: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self._layer_ps: dict[str, int] = defaultdict(int)
        self._layer_runs: dict[str, int] = defaultdict(int)
        self._end_ps: int | None = None

    def on_instant(self, event: InstantEvent) -> None:
        if event.name == LAYER_START:
            layer = str(event.fields["layer"])
            if component_of(event.track) in self.host_components:
                self._host = layer
                self._layer_static[layer] = self.host_components
            else:
                self._layer = layer
                self._layer_static[layer] = self.layer_components

    def on_span(self, event: SpanEvent) -> None:
        if event.kind in _LAYER_KINDS:
            layer = str(event.fields["layer"])
            self._layer_ps[layer] += event.end_ps - event.start_ps
            self._layer_runs[layer] += 1
            if event.kind == SpanKind.LAYER:
                self._layer = None
            else:
                self._host = None

    def on_activity(self, event: ActivityEvent) -> None:
        self.on_records(
            [(ACTIVITY, event.t_ps, event.component, event.action, event.amount, event.master)]
        )

    def _entry(self, path: str, action: Action, master: str | None) -> list:
        """What pricing a record of (`path`, `action`, `master`) needs, worked out once:
        [amount so far, pJ per unit (0 if unpriced), top-level component, the master's
        top-level component or None, whether it belongs to the running engine layer, the
        component's power row (made when it first gets energy), whether it is priced,
        whether it belongs to an op running on the host]."""
        price = self._price.get(action, 0.0)
        component = component_of(path)
        owner = None if master is None else component_of(master)
        entry = self._entries[(path, action, master)] = [
            0,
            0 if price is None else price,
            component,
            owner,
            component in self.layer_components or owner in self.layer_components,
            None,
            price is not None,
            component in self.host_components or owner in self.host_components,
        ]
        return entry

    def on_records(self, records: Sequence[Record]) -> None:
        """Price each activity record in order (floating-point sums are kept in the
        order the events happened, so every breakdown is exactly what pricing them one
        by one gives); follow layers through their instants and spans."""
        entries, new_entry = self._entries, self._entry
        window_ps, power_row = self._power.window_ps, self._power.row
        by_master, layer_pj = self._by_master, self._layer_pj
        layer, host = self._layer, self._host
        for record in records:
            tag = record[0]
            if tag == ACTIVITY:
                _, t_ps, path, action, amount, master = record
                entry = entries.get((path, action, master)) or new_entry(path, action, master)
                entry[0] += amount
                pj = amount * entry[1]
                if not pj:
                    continue
                row = entry[5]
                if row is None:
                    row = entry[5] = power_row(entry[2])
                try:
                    row[t_ps // window_ps] += pj
                except (IndexError, TypeError):  # a window beyond the row so far
                    add_at(row, t_ps // window_ps, pj)
                if entry[3] is not None:
                    by_master[entry[3]] += pj
                if layer is not None and entry[4]:
                    layer_pj[layer][entry[2]] += pj
                elif host is not None and entry[7]:
                    layer_pj[host][entry[2]] += pj
            elif tag == SPAN:
                if record[1].kind in _LAYER_KINDS:  # on_span ignores the others
                    self.on_span(record[1])
                    layer, host = self._layer, self._host
            elif tag == INSTANT:
                self.on_instant(record[1])
                layer, host = self._layer, self._host

    @property
    def _counts(self) -> dict[str, dict[str, int]]:
        """Amount per top-level component and action name (priced actions only)."""
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (_, action, _), entry in self._entries.items():
            if entry[6]:
                name = action.value if isinstance(action, Action) else action
                counts[entry[2]][name] += entry[0]
        return counts

    def final_counters(self, end_ps: int) -> Iterator[CounterEvent]:
        """Power per component and window (dynamic plus static), in mW, component by
        component; made as they are taken."""
        window_ps = self._power.window_ps
        for component, row in self.power_w(end_ps).items():
            name = f"{component} mW"  # one string for all of the component's counters
            for k, w in enumerate(row):
                yield CounterEvent(k * window_ps, "power", name, w * 1e3)

    def power_w(self, end_ps: int) -> dict[str, list[float]]:
        """Watts per component in every window: its dynamic pJ / ps plus static power."""
        dynamic = self._power.per_ps(end_ps)
        windows = len(self._power.spans(end_ps))
        components = sorted(set(dynamic) | set(self.table.static_power))
        return {
            c: [d + self.table.static_power.get(c, 0.0) for d in dynamic.get(c, [0.0] * windows)]
            for c in components
        }

    def close(self, end_ps: int) -> None:
        self._end_ps = end_ps

    def _by_layer(self) -> dict[str, dict[str, object]]:
        """Per layer, per run of it (frame): dynamic pJ by component, and the static pJ
        of the layer's components (the engine's, or the host's) over the layer's time."""
        out = {}
        static_power = self.table.static_power
        for layer, runs in self._layer_runs.items():
            members = self._layer_static.get(layer, self.layer_components)
            static_w = sum(static_power.get(c, 0.0) for c in members)
            per_component = {c: pj / runs for c, pj in sorted(self._layer_pj[layer].items())}
            dynamic = sum(per_component.values())
            static = static_w * self._layer_ps[layer] / runs
            out[layer] = {
                "dynamic_pj": dynamic,
                "static_pj": static,
                "total_pj": dynamic + static,
                "by_component": per_component,
            }
        return out

    def breakdown(self) -> dict[str, object]:
        """{"total_pj", "by_component": {c: {"dynamic_pj", "static_pj", "total_pj",
        "by_action": {a: pJ}}}, "by_action": {a: pJ}, "by_master": {m: dynamic pJ},
        "by_layer": {layer: per run {"dynamic_pj", "static_pj", "total_pj",
        "by_component"}}, "power_over_time": {"window_ps", "watts": {c: [W]}}}."""
        if self._end_ps is None:
            raise RuntimeError("the energy ledger is read before the run closed")
        components = sorted(set(self._counts) | set(self.table.static_power))
        by_component: dict[str, dict[str, object]] = {}
        by_action: dict[str, float] = defaultdict(float)
        for component in components:
            per_action = dynamic_energy_pj(self._counts.get(component, {}), self.table)
            static = self.table.static_power.get(component, 0.0) * self._end_ps
            for action, pj in per_action.items():
                by_action[action] += pj
            if per_action or static:
                dynamic = sum(per_action.values())
                by_component[component] = {
                    "dynamic_pj": dynamic,
                    "static_pj": static,
                    "total_pj": dynamic + static,
                    "by_action": dict(sorted(per_action.items())),
                }
        by_action["static"] = sum(c["static_pj"] for c in by_component.values())
        total = sum(c["total_pj"] for c in by_component.values())
        return {
            "table": self.table.name,
            "total_pj": total,
            "by_component": by_component,
            "by_action": dict(sorted(by_action.items())),
            "by_master": dict(sorted(self._by_master.items())),
            "by_layer": self._by_layer(),
            "power_over_time": {
                "window_ps": self._power.window_ps,
                "watts": self.power_w(self._end_ps),
            },
        }
