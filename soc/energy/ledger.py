"""The energy ledger: a trace sink that prices activity counts with an energy table.

Dynamic energy = sum of count x energy per unit; static energy = static power x the
run's length, per component (the first part of its path). W x ps = pJ.
"""

from __future__ import annotations

from collections import defaultdict

from soc.energy.table import EnergyTable
from soc.kernel.vocab import UNPRICED_ACTIONS
from soc.trace.events import ActivityEvent, Sink


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
    """Collects activity by component and action; `breakdown()` after the run closes."""

    def __init__(self, table: EnergyTable) -> None:
        self.table = table
        self._counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._end_ps: int | None = None

    def on_activity(self, event: ActivityEvent) -> None:
        if event.action not in UNPRICED_ACTIONS:
            self._counts[component_of(event.component)][event.action.value] += event.amount

    def close(self, end_ps: int) -> None:
        self._end_ps = end_ps

    def breakdown(self) -> dict[str, object]:
        """{"total_pj", "by_component": {c: {"dynamic_pj", "static_pj", "total_pj",
        "by_action": {a: pJ}}}, "by_action": {a: pJ}}."""
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
        }
