"""A DRAM preset at `simple` or `fluid` fidelity: peak bandwidth and unloaded latency
from the preset's timings, given keys winning, stated in the resolved config."""

import textwrap
from pathlib import Path

import pytest
import yaml

from soc.config import DramConfig, load_scenario
from soc.config.loader import resolved_yaml

# Per preset, from soc/config/dram_presets.py, by hand:
#   bandwidth = channels x bus_bytes x 2 x freq_hz
#   latency   = ceil((tRCD + (bursts - 1) x step + CL + BL/2) x tCK)
#               - ceil(64 B / bandwidth),   bursts = ceil(64 / (bus_bytes x BL))
#   step      = max(BL/2, tCCD_L), or where bursts rotate over g = min(bursts, bank
#               groups) bank groups, max(BL/2, tCCD_S, ceil(tCCD_L / g))
EXPECTED = {
    # x64, BL16: a 128 B burst; 1.2 GHz, tCK 833.3 ps; (15 + 17 + 8) cycles = 33,334 ps;
    # 8 B x 2 x 1.2 GHz = 19.2 GB/s moves 64 B in 3,334 ps
    "LPDDR4-2400-x64": (19.2e9, 33_334 - 3_334),
    # x64, BL8: one 64 B burst; 1.6 GHz, tCK 625 ps; (22 + 22 + 4) cycles = 30,000 ps;
    # 8 B x 2 x 1.6 GHz = 25.6 GB/s moves 64 B in 2,500 ps
    "DDR4-3200": (25.6e9, 30_000 - 2_500),
    # x32, BL16: one 64 B burst; tCK 625 ps; (29 + 28 + 8) cycles = 40,625 ps;
    # 4 B x 2 x 1.6 GHz = 12.8 GB/s moves 64 B in 5,000 ps
    "LPDDR4-3200": (12.8e9, 40_625 - 5_000),
    # x32, BL16: one 64 B burst; 2.133 GHz; (39 + 36 + 8) cycles = 83 / 2.133 ns
    # = 38,912.3 -> 38,913 ps; 4 B x 2 x 2.133 GHz = 17.064 GB/s: 64 B in 3,750.6 -> 3,751 ps
    "LPDDR4X-4266": (17.064e9, 38_913 - 3_751),
    # x16, BL16: two 32 B bursts in two bank groups (the map rotates them), 8 cycles
    # apart (BL/2 = tCCD_S = 8, tCCD_L / 2 = 8); 3.2 GHz, tCK 312.5 ps;
    # (58 + 8 + 68 + 8) cycles = 44,375 ps; 2 B x 2 x 3.2 GHz = 12.8 GB/s
    "LPDDR5-6400": (12.8e9, 44_375 - 5_000),
}


@pytest.mark.parametrize("fidelity", ["simple", "fluid"])
@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_preset_sets_peak_bandwidth_and_unloaded_latency(preset, fidelity):
    config = DramConfig(fidelity=fidelity, preset=preset)
    assert (config.bandwidth_bytes_per_s, config.latency_ps) == EXPECTED[preset]


def test_given_bandwidth_and_latency_win_over_the_preset():
    config = DramConfig(preset="LPDDR4-3200", bandwidth_bytes_per_s="6.4 GB/s")
    assert (config.bandwidth_bytes_per_s, config.latency_ps) == (6.4e9, 35_625)
    config = DramConfig(preset="LPDDR4-3200", latency_ps="100 ns")
    assert (config.bandwidth_bytes_per_s, config.latency_ps) == (12.8e9, 100_000)


def test_preset_timings_changed_under_banked_change_the_derived_values():
    # two channels double the peak; CL 40 instead of 28 adds 12 x 625 ps
    config = DramConfig(
        preset="LPDDR4-3200",
        banked={"channels": 2, "address_map": "row:rank:bank:channel:column", "cycles": {"cl": 40}},
    )
    assert config.bandwidth_bytes_per_s == 25.6e9
    assert config.latency_ps == (29 + 40 + 8) * 625 - 2_500


def test_banked_fidelity_sets_them_too_for_the_mappers_cost_model():
    # the banked model times itself; the mapper's cost model assumes these two
    config = DramConfig(fidelity="banked", preset="DDR4-3200", size_bytes=2**30)
    assert (config.bandwidth_bytes_per_s, config.latency_ps) == EXPECTED["DDR4-3200"]


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


SCENARIO = """\
name: t
soc:
  base: soc/base.yaml
  dram: {DRAM}
workload:
  model: zoo:edge_cnn
"""


@pytest.fixture
def base(tmp_path):
    """A base block stating its own DRAM speed, like scenarios/soc/edge_npu.yaml."""
    write(tmp_path, "dram: {bandwidth_bytes_per_s: 6.4 GB/s, latency_ps: 80 ns}\n", "soc/base.yaml")
    return tmp_path


def speed(path, overrides=()):
    dram = load_scenario(path, overrides).soc.dram
    return dram.bandwidth_bytes_per_s, dram.latency_ps


def test_scenario_preset_replaces_the_speed_of_the_base_block(base):
    path = write(base, SCENARIO.replace("{DRAM}", "{preset: LPDDR5-6400}"))
    assert speed(path) == EXPECTED["LPDDR5-6400"]


def test_speed_given_beside_the_preset_wins(base):
    path = write(base, SCENARIO.replace("{DRAM}", "{preset: LPDDR5-6400, latency_ps: 50 ns}"))
    assert speed(path) == (12.8e9, 50_000)


def test_preset_in_the_base_block_keeps_the_base_speed(base):
    write(base, "dram: {preset: DDR4-3200, latency_ps: 80 ns}\n", "soc/base.yaml")
    path = write(base, SCENARIO.replace("{DRAM}", "{}"))
    assert speed(path) == (25.6e9, 80_000)  # the preset's peak, the base's own latency


def test_preset_on_the_command_line_replaces_the_file_speed(base):
    path = write(base, SCENARIO.replace("{DRAM}", "{latency_ps: 30 ns}"))
    assert speed(path) == (6.4e9, 30_000)
    assert speed(path, ["soc.dram.preset=DDR4-3200"]) == EXPECTED["DDR4-3200"]
    both = ["soc.dram.preset=DDR4-3200", "soc.dram.latency_ps=20 ns"]
    assert speed(path, both) == (25.6e9, 20_000)


def test_a_banked_preset_scenario_uses_the_preset_at_every_fidelity():
    # the scenario names LPDDR4-3200 at banked fidelity over a base stating 12.8 GB/s, 60 ns
    path = Path(__file__).parents[3] / "scenarios" / "dram_contention.yaml"
    assert speed(path) == EXPECTED["LPDDR4-3200"]
    assert speed(path, ["soc.dram.fidelity=simple"]) == EXPECTED["LPDDR4-3200"]
    assert speed(path, ["soc.dram.fidelity=fluid"]) == EXPECTED["LPDDR4-3200"]


def test_resolved_config_states_the_derived_values(base):
    path = write(base, SCENARIO.replace("{DRAM}", "{preset: LPDDR4X-4266, fidelity: fluid}"))
    dram = yaml.safe_load(resolved_yaml(load_scenario(path)))["soc"]["dram"]
    assert (dram["bandwidth_bytes_per_s"], dram["latency_ps"]) == EXPECTED["LPDDR4X-4266"]
