"""Loop-nest counts against Timeloop's reference outputs (tests/validation/data/timeloop).

Cases: the ISPASS 2020 tutorial's model runs 00-04 (`timeloop-model.*`) and mapper runs
05 (three constraint sets: baked, freebypass, null) and 06 (Eyeriss-like, a 14 x 12 PE
array with three scratchpads per PE) (`timeloop-mapper.*`). A model run is read from its
`parsed-processed-input.yaml`; a mapper run from that file followed by the mapping the
mapper chose (`timeloop-mapper.map.yaml`). MACs, cycles, and per level and tensor the
utilised capacity, instances, scalar reads, fills and updates must equal Timeloop's
stats exactly; energy per level and tensor and storage leakage per level, priced with
the case's ERT, must be within 0.5 % of Timeloop's (its stats print two decimals).
"""

import re
from pathlib import Path

import pytest

from soc.flexnn.loopnest import analyse
from soc.flexnn.timeloop import (
    check_capacity,
    cycles,
    energy_pj,
    leakage_pj,
    read_ert,
    read_timeloop,
)

DATA = Path(__file__).parent / "data" / "timeloop"
CASES = sorted(p.parent for p in DATA.glob("*/ref-output/**/timeloop-*.stats.txt"))


def _run(folder: Path) -> str:
    return (
        "timeloop-mapper" if (folder / "timeloop-mapper.stats.txt").exists() else "timeloop-model"
    )


def case_inputs(folder: Path) -> list[Path]:
    """What Timeloop read: the processed input, and for a mapper run the chosen mapping."""
    extra = [folder / "timeloop-mapper.map.yaml"] if _run(folder) == "timeloop-mapper" else []
    return [folder / "parsed-processed-input.yaml", *extra]


def reference(stats_file: Path) -> dict:
    """Timeloop's figures: {level: {"instances", tensor: {field: number}}}, macs, cycles."""
    text = stats_file.read_text()
    out: dict = {"levels": {}}
    for block in re.split(r"\nLevel \d+\n-------\n", text)[1:]:
        name = re.search(r"=== (\S+) ===", block).group(1)
        if "Computes (total)" in block:
            out["macs"] = int(re.search(r"Computes \(total\)\s*:\s*(\d+)", block).group(1))
            out["compute"] = (name, float(re.search(r"Energy \(total\)\s*:\s*([\d.]+)", block)[1]))
            continue
        level: dict = {}
        for tensor in ("Weights", "Inputs", "Outputs"):
            match = re.search(rf"\n    {tensor}:\n((?:        .*\n)+)", block)
            if match is None:
                continue
            body = match.group(1)

            def field(label: str, body: str = body) -> float:
                return float(re.search(rf"{re.escape(label)}\s*:\s*([\d.]+)", body).group(1))

            level[tensor] = {
                "capacity": int(field("Utilized capacity")),
                "instances": int(field("Utilized instances (max)")),
                "reads": int(field("Scalar reads (per-instance)")),
                "fills": int(field("Scalar fills (per-instance)")),
                "updates": int(field("Scalar updates (per-instance)")),
                "energy": field("Energy (total)"),
            }
        out["levels"][name] = level
        leak = re.search(r"Leakage energy \(total\)\s*:\s*([\d.]+)", block)
        if leak is not None:
            out.setdefault("leakage", {})[name] = float(leak.group(1))
    out["cycles"] = int(re.search(r"Summary Stats.*?Cycles: (\d+)", text, re.S).group(1))
    return out


@pytest.fixture(params=CASES, ids=lambda p: str(p.relative_to(DATA)))
def case(request):
    folder = request.param
    spec = read_timeloop(*case_inputs(folder))
    return (
        spec,
        analyse(spec.problem, spec.mapping),
        reference(folder / f"{_run(folder)}.stats.txt"),
        read_ert(folder / f"{_run(folder)}.ERT_summary.yaml"),
    )


def test_macs_and_cycles(case):
    spec, stats, ref, _ = case
    assert (stats.macs, stats.cycles, cycles(stats, spec)) == (
        ref["macs"],
        ref["cycles"],
        ref["cycles"],
    )


def test_counts_per_level_and_tensor(case):
    spec, stats, ref, _ = case
    check_capacity(stats, spec)  # Timeloop ran these mappings, so they fit
    for name, tensors in ref["levels"].items():
        level = stats.level(name)
        assert sorted(level.tensors) == sorted(tensors), name
        for tensor, expected in tensors.items():
            got = level.tensors[tensor]
            assert {
                "capacity": got.capacity,
                "instances": level.instances,
                "reads": got.reads,
                "fills": got.fills,
                "updates": got.updates,
            } == {k: v for k, v in expected.items() if k != "energy"}, f"{name}.{tensor}"


def test_energy_within_half_a_percent(case):
    spec, stats, ref, ert = case
    energy = energy_pj(stats, spec, ert)
    for name, tensors in ref["levels"].items():
        for tensor, expected in tensors.items():
            assert energy[name][tensor] == pytest.approx(expected["energy"], rel=5e-3, abs=0.01)
    compute_name, compute_pj = ref["compute"]
    assert energy[compute_name]["compute"] == pytest.approx(compute_pj, rel=5e-3)


def test_leakage_within_half_a_percent(case):
    spec, stats, ref, ert = case
    leak = leakage_pj(stats, spec, ert, cycles(stats, spec))
    for name, expected in ref["leakage"].items():
        assert leak[name] == pytest.approx(expected, rel=5e-3, abs=0.01), name


def test_all_reference_cases_are_found():
    assert len(CASES) == 14
