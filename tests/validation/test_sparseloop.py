"""Sparseloop counts against Sparseloop's reference outputs (tests/validation/data/sparseloop).

The example designs 01.2.1-3 (dot products: dense, gating on a sparse operand, skipping
on a compressed one) and 02.2.1-2 (spMspM, both operands sparse and compressed, untiled
and tiled) of Accelergy-Project/timeloop-accelergy-exercises, read from their inputs
(arch.yaml, problem.yaml) and the mapping Sparseloop's mapper chose
(timeloop-mapper.map.yaml). Every count printed in the reference
timeloop-mapper.stats.txt -- per level and tensor the algorithmic / actual / gated /
skipped reads, fills and updates, metadata words per rank, capacities, temporal
reductions, address generations, per level cycles, computes algorithmic / actual / gated
/ skipped, and the design's cycles -- must be equal. Every other line of a tensor's block
(energy, bandwidth, averages) is listed in NOT_COUNTS, so a count cannot go unchecked.
Expected values are parsed from the reference files only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from soc.errors import ConfigError
from soc.flexnn.sparseloop import SparseStats, TensorSparseStats, analyse_sparse
from soc.flexnn.sparseloop_input import read_sparseloop

DATA = Path(__file__).parent / "data" / "sparseloop"
DESIGNS = sorted(p.parent for p in DATA.glob("*/timeloop-mapper.stats.txt"))

RANK = re.compile(r"^ {12}Rank (\d+) \(metadata, payload\): \((\d+),\s*(\d+)\)")
NOT_COUNTS = {
    "Utilized instances (average)",
    "Energy (per-scalar-access)",
    "Energy (per-instance)",
    "Energy (total)",
    "Temporal Reduction Energy (per-instance)",
    "Temporal Reduction Energy (total)",
    "Address Generation Energy (per-cluster)",
    "Address Generation Energy (total)",
    "Bandwidth Consumption Scale",
    "Average Shared Bandwidth (per-instance)",
    "Shared Bandwidth (total)",
    "Average Read Bandwidth (per-instance)",
    "Read Bandwidth (total)",
    "Average Write Bandwidth (per-instance)",
    "Write Bandwidth (total)",
    "Read Bandwidth (per-instance)",
    "Write Bandwidth (per-instance)",
    "Shared Bandwidth (per-instance)",
}


def reference(stats_file: Path) -> dict:
    """{"levels": {level: {"cycles": n, tensor: {label: value}}}, "compute": {...},
    "cycles": n}; a value is a number, a string, or {rank: (metadata, payload)}."""
    text = stats_file.read_text()
    out: dict = {"levels": {}}
    for block in re.split(r"\nLevel \d+\n-------\n", text.split("\nNetworks\n")[0])[1:]:
        name = re.search(r"=== (\S+) ===", block).group(1)
        stats = block.split("STATS\n")[1]
        if "Computes" in stats:
            out["compute"] = dict(re.findall(r"\n {4}(\S.*?)\s*: (\d+)", stats))
            continue
        level: dict = {"cycles": int(re.search(r"Cycles\s*:\s*(\d+)", stats).group(1))}
        tensor, label = None, None
        for line in stats.splitlines():
            if m := re.match(r"^ {4}(\w+):$", line):
                tensor = level.setdefault(m.group(1), {})
            elif tensor is not None and (m := RANK.match(line)):
                tensor[label][int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
            elif tensor is not None and (m := re.match(r"^ {8}(\S.*?)\s*:\s*(\S.*?)\s*$", line)):
                label, value = m.group(1), m.group(2)
                tensor[label] = int(value) if value.isdigit() else value
            elif tensor is not None and (m := re.match(r"^ {8}(\S.*?)\s*$", line)):
                label = m.group(1)
                tensor[label] = {}
        out["levels"][name] = level
    out["cycles"] = int(re.search(r"Summary Stats.*?\nCycles: (\d+)", text, re.S).group(1))
    return out


def _words(words: tuple[tuple[int, int], ...]) -> dict[int, tuple[int, int]] | int:
    """Ours as the reference prints it: {rank: (metadata, payload)}, or 0 when all zero."""
    if not any(m or p for m, p in words):
        return 0
    return {len(words) - 1 - i: w for i, w in enumerate(words)}


def _fields(ts: TensorSparseStats, instances: int) -> dict:
    out = {
        "Partition size": ts.partition,
        "Data tile shape": ts.shape,
        "Utilized capacity": ts.capacity,
        "Max utilized data storage capacity": ts.capacity,
        "Utilized instances (max)": instances,
        "Utilized clusters (max)": instances,
        "Temporal reductions (per-instance)": ts.temporal_reductions,
        "Address generations (per-cluster)": ts.address_generations,
        "Max utilized Repr format storage capacity": _words(ts.format_capacity),
    }
    for action in ("reads", "fills", "updates"):
        counts = getattr(ts, action)
        out[f"Scalar {action} (per-instance)"] = counts.actual  # Timeloop's dense print
        for kind in ("algorithmic", "actual", "gated", "skipped"):
            out[f"{kind.capitalize()} scalar {action} (per-instance)"] = getattr(counts, kind)
        for kind in ("actual", "gated", "skipped"):
            words = getattr(ts, f"format_{action}")[kind]
            out[f"{kind.capitalize()} scalar format {action} (per-instance)"] = _words(words)
    return out


@pytest.fixture(params=DESIGNS, ids=lambda p: p.name, scope="module")
def design(request) -> tuple[SparseStats, dict, object]:
    folder = request.param
    spec = read_sparseloop(
        folder / "arch.yaml", folder / "problem.yaml", folder / "timeloop-mapper.map.yaml"
    )
    return analyse_sparse(spec), reference(folder / "timeloop-mapper.stats.txt"), spec


def test_every_count_per_level_and_tensor(design) -> None:
    ours, ref, spec = design
    checked = 0
    for name, level in ref["levels"].items():
        assert ours.level(name).cycles == level["cycles"], f"{name} cycles"
        for tensor, fields in level.items():
            if tensor == "cycles":
                continue
            mine = _fields(ours.level(name).tensors[tensor], ours.level(name).instances)
            for label, expected in fields.items():
                if label in NOT_COUNTS:
                    continue
                if label == "Tile density distribution":
                    assert expected == spec.densities[tensor].model
                elif label == "Representation format":
                    formats = spec.formats.get((name, tensor), ("none",))
                    assert expected.split() == list(formats), f"{name} {tensor} format"
                else:
                    assert label in mine, f"unchecked count {label!r}"
                    assert mine[label] == expected, f"{name} {tensor} {label}"
                    checked += 1
    assert checked >= 15


def test_computes_and_cycles(design) -> None:
    ours, ref, _ = design
    compute = ref["compute"]
    algorithmic = int(compute.get("Algorithmic Computes (total)", compute.get("Computes (total)")))
    assert ours.compute.algorithmic == algorithmic
    assert ours.compute.actual == int(compute.get("Actual Computes (total)", algorithmic))
    assert ours.compute.gated == int(compute.get("Gated Computes (total)", 0))
    assert ours.compute.skipped == int(compute.get("Skipped Computes (total)", 0))
    assert ours.compute.cycles == int(compute["Cycles"])
    utilized = compute.get("Utilized instances (max)", compute.get("Utilized instances"))
    assert ours.compute.instances == int(utilized)
    assert ours.cycles == ref["cycles"]


def test_the_suite_covers_the_five_designs() -> None:
    assert [d.name for d in DESIGNS] == [
        "01.2.1-DUDU-dot-product",
        "01.2.2-SUDU-dot-product",
        "01.2.3-SCDU-dot-product",
        "02.2.1-spMspM",
        "02.2.2-spMspM-tiled",
    ]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("      distribution: banded\n        density: 0.5\n", "instance.densities.A"),
        ("      distribution: gaussian\n        density: 0.5\n", "distribution"),
    ],
)
def test_an_unmodelled_density_is_refused_by_key(tmp_path, text: str, key: str) -> None:
    folder = DATA / "01.2.2-SUDU-dot-product"
    problem = (folder / "problem.yaml").read_text()
    changed = problem.replace(
        "        distribution: fixed_structured # sparsity distribution name\n"
        "        density: 0.25",
        "  " + text.rstrip(),
    )
    assert changed != problem
    path = tmp_path / "problem.yaml"
    path.write_text(changed)
    with pytest.raises(ConfigError, match=re.escape(key)) as info:
        read_sparseloop(folder / "arch.yaml", path, folder / "timeloop-mapper.map.yaml")
    assert "\n" not in str(info.value)
