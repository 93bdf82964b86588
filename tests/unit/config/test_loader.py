"""Scenario loading: units, defaults, base blocks, and one-line errors with key paths."""

import textwrap
from pathlib import Path

import pytest

from soc.config import load_scenario
from soc.errors import ConfigError

MINIMAL = """\
name: t
workload:
  model: zoo:edge_cnn
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_units_are_parsed_into_the_field_unit(tmp_path):
    path = write(
        tmp_path,
        MINIMAL + "soc:\n  dram: {bandwidth_bytes_per_s: 25.6 GB/s, "
        "latency_ps: 40 ns}\n  sram: {size_bytes: 1 MiB}\n  flexnn: {freq_hz: 1.3 GHz}\n",
    )
    config = load_scenario(path)
    assert config.soc.dram.bandwidth_bytes_per_s == 25.6e9
    assert config.soc.dram.latency_ps == 40_000
    assert config.soc.sram.size_bytes == 2**20
    assert config.soc.flexnn.freq_hz == 1_300_000_000


def test_base_block_is_merged_under_inline_keys(tmp_path):
    (tmp_path / "soc").mkdir()
    write(tmp_path, "dram: {latency_ps: 80 ns, bandwidth_bytes_per_s: 6.4 GB/s}\n", "soc/base.yaml")
    path = write(tmp_path, MINIMAL + "soc:\n  base: soc/base.yaml\n  dram: {latency_ps: 30 ns}\n")
    config = load_scenario(path)
    assert config.soc.dram.latency_ps == 30_000  # inline wins
    assert config.soc.dram.bandwidth_bytes_per_s == 6.4e9  # from the base


def test_unknown_key_names_path_and_line(tmp_path):
    path = write(tmp_path, MINIMAL + "soc:\n  dram:\n    latncy_ps: 40 ns\n")
    assert error_of(path) == f"{path}:6: soc.dram.latncy_ps: unknown key"


def test_negative_size_names_path(tmp_path):
    path = write(tmp_path, MINIMAL + "soc:\n  sram: {size_bytes: -4 KiB}\n")
    message = error_of(path)
    assert message.startswith(f"{path}:5: soc.sram.size_bytes:")
    assert "greater than 0" in message


def test_malformed_unit_names_path(tmp_path):
    path = write(tmp_path, MINIMAL + "soc:\n  flexnn:\n    freq_hz: 1.3 GHzz\n")
    message = error_of(path)
    assert message.startswith(f"{path}:6: soc.flexnn.freq_hz: malformed frequency '1.3 GHzz'")


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    assert error_of(path) == f"{path}: no such file"


def test_missing_base_file(tmp_path):
    path = write(tmp_path, MINIMAL + "soc:\n  base: soc/none.yaml\n")
    assert error_of(path) == f"{path}: soc.base: no such file 'soc/none.yaml'"


def test_duplicate_key(tmp_path):
    path = write(tmp_path, MINIMAL + "seed: 1\nseed: 2\n")
    assert error_of(path) == f"{path}:5: seed: duplicate key"


def test_invalid_yaml_names_line(tmp_path):
    path = write(tmp_path, "name: t\nworkload: [unclosed\n")
    assert error_of(path).startswith(f"{path}:3: invalid YAML")


def test_list_index_in_key_path(tmp_path):
    path = write(tmp_path, "name: t\nworkload:\n  layers:\n    - {name: a, op: conv, c: 3, k: 0}\n")
    assert error_of(path).startswith(f"{path}:4: workload.layers[0].k:")


def test_overlapping_address_ranges_are_refused(tmp_path):
    path = write(tmp_path, MINIMAL + "soc:\n  sram: {base_addr: 0x1000}\n")
    assert "overlaps dram" in error_of(path)


def test_config_is_frozen(tmp_path):
    config = load_scenario(write(tmp_path, MINIMAL))
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises its own ValidationError
        config.soc.dram.latency_ps = 1  # type: ignore[misc]


BASED = """\
name: t
soc:
  base: base.yaml
  dram: {arbitration: priority}
workload:
  layers:
    - {name: a, op: fc, c: 8, k: 8}
"""


def based(tmp_path: Path) -> Path:
    write(tmp_path, "dram: {fidelity: simple, latency_ps: 60 ns}\n", "base.yaml")
    return write(tmp_path, BASED)


def test_overrides_apply_after_the_base_and_parse_as_yaml(tmp_path):
    config = load_scenario(
        based(tmp_path),
        [
            "soc.dram.fidelity=banked",  # set in the base file
            "soc.dram.arbitration=fcfs",  # set inline
            "soc.dram.banked.address_map=row:column:rank:bank:bankgroup",
            "soc.dram.weights={dma: 3}",
            "workload.layers[0].k=16",
            "run.timeline_window_ps=1 us",
        ],
    )
    assert config.soc.dram.fidelity == "banked" and config.soc.dram.arbitration == "fcfs"
    assert config.soc.dram.latency_ps == 60_000  # the base's other keys stay
    assert config.soc.dram.banked.address_map == ("row", "column", "rank", "bank", "bankgroup")
    assert config.soc.dram.weights == {"dma": 3}
    assert config.workload.layers[0].k == 16
    assert config.run.timeline_window_ps == 1_000_000


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("soc.dram.arbitration", "--set soc.dram.arbitration: expected KEY.PATH=VALUE"),
        ("soc..dram=1", "--set soc..dram=1: '' is not a key"),
        ("soc.dram.knob=1", "--set soc.dram.knob=1: soc.dram.knob: unknown key"),
        ("workload.layers[3].k=1", "--set workload.layers[3].k=1: workload.layers[3] does not"),
        ("soc.dram.arbitration.x=1", "soc.dram.arbitration is not a mapping"),
        ("soc.dram.banked.channels=2", "--set soc.dram.banked.channels=2: soc.dram.banked: "),
        ("soc.dram.weights={a: [", "--set soc.dram.weights={a: [: the value is not valid YAML"),
    ],
)
def test_a_bad_override_is_named(tmp_path, override, message):
    with pytest.raises(ConfigError) as info:
        load_scenario(based(tmp_path), [override])
    assert message in str(info.value) and "\n" not in str(info.value)


def test_paths_in_the_file_are_relative_to_it_and_overrides_to_the_current_folder(
    tmp_path, monkeypatch
):
    scenario_dir = tmp_path / "scenarios"
    scenario_dir.mkdir()
    path = write(scenario_dir, MINIMAL + "soc: {energy_table: table.yaml}\n")
    assert load_scenario(path).soc.energy_table == scenario_dir / "table.yaml"
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    config = load_scenario(
        path,
        ["soc.energy_table=mine.yaml", "workload.sparsity.arrays=data/v.npz"],
    )
    assert config.soc.energy_table == work / "mine.yaml"
    assert config.workload.sparsity.arrays == work / "data" / "v.npz"


def test_the_base_block_cannot_be_overridden(tmp_path):
    path = write(tmp_path, MINIMAL)
    with pytest.raises(ConfigError, match=r"^--set soc.base=x.yaml: soc.base is merged before"):
        load_scenario(path, ["soc.base=x.yaml"])
