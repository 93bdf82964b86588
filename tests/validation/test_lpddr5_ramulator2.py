"""The LPDDR5-6400 preset's fields against Ramulator 2's LPDDR5_6400 timing preset with its
LPDDR5_16Gb_x16 organisation (tests/validation/data/dram/ramulator2_lpddr5_6400.csv).

Ramulator 2 counts in CKs of 1.25 ns; the preset runs one clock at half the data rate,
0.3125 ns, four cycles a CK. The preset is approximate (soc/config/dram_presets.py says
what the model lacks: commands on the CK, the two-part ACT, WCK synchronisation), so this
checks its organisation and the timings that agree, and that the ones that differ are
exactly those its comment lists (JEDEC's ns rounded to our cycle, not to a whole CK).
"""

import csv
from pathlib import Path

from soc.config import DramConfig

DATA = Path(__file__).parent / "data" / "dram" / "ramulator2_lpddr5_6400.csv"
# our JEDEC cycle -> Ramulator 2's timing name
TIMINGS = {
    "cl": "nCL",
    "cwl": "nCWL",
    "trcd": "nRCD",
    "trp": "nRP",
    "tras": "nRAS",
    "twr": "nWR",
    "trtp": "nRTP",
    "tccd_s": "nCCDS",
    "tccd_l": "nCCDL",
    "trrd_s": "nRRDS",
    "trrd_l": "nRRDL",
    "twtr_s": "nWTRS",
    "twtr_l": "nWTRL",
    "tfaw": "nFAW",
    "trfc": "nRFC",
    "trefi": "nREFI",
}
DIFFER = {"trcd", "trp", "tras", "twr", "trtp", "twtr_l", "trefi"}  # the preset's comment


def ramulator2() -> dict[str, int]:
    with DATA.open(encoding="utf-8") as file:
        rows = csv.DictReader(line for line in file if not line.startswith("#"))
        return {row["name"]: int(row["value"]) for row in rows}


def test_organisation_and_clock_are_ramulator2s():
    ref, t = ramulator2(), DramConfig(preset="LPDDR5-6400").banked
    per_ck = ref["tCK_ps"] * t.freq_hz // 10**12  # our cycles in one CK
    assert per_ck == 4 and ref["tCK_ps"] * t.freq_hz % 10**12 == 0
    assert (t.ranks, t.bankgroups, t.banks_per_group, t.rows) == (
        ref["rank"],
        ref["bankgroup"],
        ref["bank"],
        ref["row"],
    )
    assert t.row_bytes == ref["column"] * ref["dq"] // 8
    assert t.bus_bytes == ref["channel_width"] // 8
    assert t.burst_cycles == ref["nBL_min"] * per_ck  # BL16 on the bus


def test_timings_agree_but_for_the_documented_ones():
    ref, cycles = ramulator2(), DramConfig(preset="LPDDR5-6400").banked.cycles
    ours = cycles.model_dump()
    differ = {name for name, theirs in TIMINGS.items() if ours[name] != 4 * ref[theirs]}
    assert differ == DIFFER
    # most are JEDEC's ns rounded up to our 0.3125 ns rather than to a 1.25 ns CK
    for name in DIFFER - {"trtp", "trefi"}:
        assert 0 < 4 * ref[TIMINGS[name]] - ours[name] < 4, name
    # tRTP 7.5 ns here, 8 CK = 10 ns there; tREFI 3.9 us here, 3.906 us there
    assert (ours["trtp"], ours["trefi"]) == (24, 12480)
    assert (ref["nRTP"] * ref["tCK_ps"], ref["nREFI"] * ref["tCK_ps"]) == (10_000, 3_906_250)
