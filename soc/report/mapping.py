"""The table `soc map` prints; narrow consoles get it split (see `print_table`)."""

from __future__ import annotations

from rich.console import Console

from soc.report.tables import Column, print_table


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def render_mapping(
    rows: list[dict], totals: dict, objective: str, kinds: tuple[str, ...], console: Console
) -> None:
    """rows: layer, dataflow, energy_pj, cycles, savings {kind: fraction or None}."""
    cells = [
        [
            row["layer"],
            f"{row['energy_pj'] / 1e6:.2f}",
            f"{row['cycles'] / 1e3:,.1f}",
            *(_pct(row["savings"][k]) for k in kinds),
            row["dataflow"],
        ]
        for row in rows
    ]
    cells.append(
        [
            "total",
            f"{totals['energy_pj'] / 1e6:.2f}",
            f"{totals['cycles'] / 1e3:,.1f}",
            *(_pct(totals["savings"][k]) for k in kinds),
            "",
        ]
    )
    # the loop nests are the widest column: narrow consoles list them in a table of
    # their own, where they wrap at spaces
    print_table(
        console,
        f"Per-layer dataflow (objective: {objective}; saving = flexible vs fixed, "
        f"on the objective)",
        [
            Column("layer", "left"),
            Column("energy uJ"),
            Column("kcycles"),
            *(Column(kind) for kind in kinds),
            Column("flexible dataflow", "left", group=1),
        ],
        cells,
    )
