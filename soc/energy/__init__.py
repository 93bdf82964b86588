"""Energy: tables as data, pure pJ arithmetic, and the ledger (a trace sink)."""

from soc.energy.ledger import EnergyLedger, component_of, dynamic_energy_pj
from soc.energy.table import EnergyTable, load_energy_table

__all__ = [
    "EnergyLedger",
    "EnergyTable",
    "component_of",
    "dynamic_energy_pj",
    "load_energy_table",
]
