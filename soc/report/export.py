"""The summary for machines: the per-layer table as CSV rows (`soc run --format csv`).

One row per accelerator layer, the same rows as the printed layer table, with raw
values: times in integer ps, energies in pJ, fractions as fractions, and the column's
unit in its name. An empty cell is a value the summary leaves out (null).
"""

from __future__ import annotations

import csv
from typing import TextIO

_LAYER_FIELDS = (
    "layer",
    "op",
    "dataflow",
    "loop_nest",
    "tiles",
    "rounds",
    "macs",
    "performed_macs",
    "elapsed_ps",
    "load_ps",
    "compute_ps",
    "drain_ps",
)
_SPARSITY_FIELDS = (
    "bound",
    "mac_utilisation",
    "dense_cycles",
    "sparse_cycles",
    "imbalance_cycles",
    "if_density",
    "fl_density",
    "speedup",
    "ideal_speedup",
    "min_density_speedup",
)
_ENERGY_FIELDS = ("total_pj", "dynamic_pj", "static_pj")


def _stall_column(cause: str) -> str:
    return f"stall_{cause.replace('-', '_')}_ps"  # "dma-bound" -> stall_dma_bound_ps


def layer_records(summary: dict) -> list[dict[str, object]]:
    """Per layer: the summary's layer row flattened, with its stall causes as columns
    and its energy (per frame) from the energy ledger."""
    by_layer = summary["energy"]["by_layer"]
    records = []
    for row in summary["layers"]:
        energy = by_layer.get(row["layer"], {})
        records.append(
            {
                **{name: row[name] for name in _LAYER_FIELDS},
                "stall_ps": sum(row["stall_ps"].values()),
                **{_stall_column(cause): ps for cause, ps in row["stall_ps"].items()},
                **{name: row[name] for name in _SPARSITY_FIELDS},
                **{f"energy_{name}": energy.get(name) for name in _ENERGY_FIELDS},
            }
        )
    return records


def write_layers_csv(summary: dict, stream: TextIO) -> None:
    """Write the layer table to `stream`: one header row, then one row per layer."""
    records = layer_records(summary)
    header = list(dict.fromkeys(name for record in records for name in record)) or [
        *_LAYER_FIELDS,
        "stall_ps",
        *_SPARSITY_FIELDS,
        *(f"energy_{name}" for name in _ENERGY_FIELDS),
    ]
    writer = csv.DictWriter(stream, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
