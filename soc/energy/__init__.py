"""Energy: tables as data, pure pJ arithmetic, and the ledger (a trace sink).

Names are imported from their modules when first used, so that importing one
module of the package does not import all of them (start-up time, issue 10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from soc import lazy_names

if TYPE_CHECKING:
    from soc.energy.ledger import EnergyLedger, component_of, dynamic_energy_pj
    from soc.energy.table import EnergyTable, load_energy_table

_WHERE = {
    "component_of": "soc.energy.ledger",
    "dynamic_energy_pj": "soc.energy.ledger",
    "EnergyLedger": "soc.energy.ledger",
    "EnergyTable": "soc.energy.table",
    "load_energy_table": "soc.energy.table",
}

__all__ = [
    "EnergyLedger",
    "EnergyTable",
    "component_of",
    "dynamic_energy_pj",
    "load_energy_table",
]

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
