"""The table `soc map` prints."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def render_mapping(
    rows: list[dict], totals: dict, objective: str, kinds: tuple[str, ...], console: Console
) -> None:
    """rows: layer, dataflow, energy_pj, cycles, savings {kind: fraction or None}."""
    table = Table(
        title=f"Per-layer dataflow (objective: {objective}; saving = flexible vs fixed, "
        f"on the objective)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for column in ("layer", "flexible dataflow", "energy uJ", "kcycles", *kinds):
        table.add_column(
            column, justify="left" if column in ("layer", "flexible dataflow") else "right"
        )
    for row in rows:
        table.add_row(
            row["layer"],
            row["dataflow"],
            f"{row['energy_pj'] / 1e6:.2f}",
            f"{row['cycles'] / 1e3:,.1f}",
            *(_pct(row["savings"][k]) for k in kinds),
        )
    table.add_row(
        "total",
        "",
        f"{totals['energy_pj'] / 1e6:.2f}",
        f"{totals['cycles'] / 1e3:,.1f}",
        *(_pct(totals["savings"][k]) for k in kinds),
    )
    console.print(table)
