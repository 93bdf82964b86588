"""The per-layer CSV: raw values, units in the column names, one row per layer."""

import csv
import io

from soc.report.export import layer_records, write_layers_csv


def _layer(name: str, load_stall: int, dma_stall: int) -> dict:
    return {
        "layer": name,
        "op": "conv",
        "dataflow": "flexible",
        "loop_nest": "DRAM[P8] SRAM[C3] rows[K16] cols[Q16] RF[P4] lanes[S3]",
        "tiles": 8,
        "rounds": 24,
        "macs": 442368,
        "performed_macs": 221184,
        "elapsed_ps": 3_522_513,
        "load_ps": 258_480,
        "compute_ps": 443_088,
        "drain_ps": 393_848,
        "stall_ps": {"load-bound": load_stall, "drain-bound": 0, "dma-bound": dma_stall},
        "bound": "dma-bound",
        "mac_utilisation": 0.25,
        "dense_cycles": 576,
        "sparse_cycles": 288,
        "imbalance_cycles": 12,
        "if_density": 0.5,
        "fl_density": 1.0,
        "speedup": 2.0,
        "ideal_speedup": 2.0,
        "min_density_speedup": None,
        "bytes_moved": 1,  # not a column: the CSV takes the fields it names
    }


SUMMARY = {
    "layers": [_layer("conv1", 100, 2_000), _layer("fc", 7, 0)],
    "energy": {
        "by_layer": {"conv1": {"dynamic_pj": 3.0, "static_pj": 0.5, "total_pj": 3.5}},
    },
}


def test_stalls_are_columns_and_sum_to_the_stall_total():
    conv1, fc = layer_records(SUMMARY)
    assert conv1["stall_ps"] == 2_100
    assert (conv1["stall_load_bound_ps"], conv1["stall_dma_bound_ps"]) == (100, 2_000)
    assert fc["stall_ps"] == 7


def test_energy_comes_from_the_ledger_and_is_empty_when_it_has_none():
    rows = list(csv.DictReader(io.StringIO(_csv())))
    assert [row["layer"] for row in rows] == ["conv1", "fc"]
    assert rows[0]["energy_total_pj"] == "3.5"
    assert rows[1]["energy_total_pj"] == ""
    assert rows[0]["min_density_speedup"] == ""  # null in the summary


def _csv() -> str:
    out = io.StringIO()
    write_layers_csv(SUMMARY, out)
    return out.getvalue()


def test_header_names_carry_units_and_values_are_raw():
    header, first = _csv().splitlines()[:2]
    names = header.split(",")
    assert names[:4] == ["layer", "op", "dataflow", "loop_nest"]
    for timed in ("elapsed_ps", "load_ps", "compute_ps", "drain_ps", "stall_drain_bound_ps"):
        assert timed in names
    assert "bytes_moved" not in names
    row = dict(zip(names, next(csv.reader([first])), strict=True))
    assert row["elapsed_ps"] == "3522513"
    assert row["mac_utilisation"] == "0.25"


def test_no_layers_still_gives_a_header():
    out = io.StringIO()
    write_layers_csv({"layers": [], "energy": {"by_layer": {}}}, out)
    assert out.getvalue().startswith("layer,op,dataflow,")
