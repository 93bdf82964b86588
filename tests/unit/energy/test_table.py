"""Energy tables: the default prices every action; bad tables name the offending action."""

import pytest
import yaml

from soc.energy import EnergyTable, load_energy_table
from soc.errors import ConfigError
from soc.kernel.vocab import UNPRICED_ACTIONS, Action

PRICED = {a.value for a in Action} - {a.value for a in UNPRICED_ACTIONS}


def full_table() -> dict:
    """A complete table: 1 pJ per action, 1 W for the power-priced CPU action."""
    actions = {a: "1 pJ" for a in PRICED}
    actions["cpu_active_ps"] = "1 W"
    return {"name": "t", "actions": actions, "static_power": {"npu": "25 mW"}}


def write(tmp_path, data: dict):
    path = tmp_path / "table.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_default_table_prices_every_priced_action():
    table = load_energy_table()
    assert set(table.actions) == PRICED
    assert not {a.value for a in UNPRICED_ACTIONS} & set(table.actions)
    # Spot values, read by hand from default_table.yaml.
    assert table.actions["mac"] == pytest.approx(0.23)
    assert table.actions["dram_read_byte"] == pytest.approx(46.0)
    assert table.actions["cpu_active_ps"] == pytest.approx(0.45)  # 0.45 W = 0.45 pJ/ps
    assert table.static_power["cpu"] == pytest.approx(0.05)  # 50 mW
    assert table.static_power["dma"] == pytest.approx(0.002)  # 2 mW


def test_custom_table_loads_from_a_file(tmp_path):
    table = load_energy_table(write(tmp_path, full_table()))
    assert table.name == "t"
    assert table.actions["mac"] == 1.0
    assert table.static_power == {"npu": pytest.approx(0.025)}


def test_unit_strings_are_parsed():
    data = full_table()
    data["actions"] |= {"mac": "0.2 pJ", "dma_request": "1 nJ", "cpu_active_ps": "50 mW"}
    data["static_power"] = {"cpu": "50 mW", "npu": 2}
    table = EnergyTable.model_validate(data)
    assert table.actions["mac"] == pytest.approx(0.2)
    assert table.actions["dma_request"] == pytest.approx(1000.0)  # 1 nJ = 1000 pJ
    assert table.actions["cpu_active_ps"] == pytest.approx(0.05)  # W -> pJ per ps
    assert table.static_power == {"cpu": pytest.approx(0.05), "npu": 2.0}


@pytest.mark.parametrize("action", ["mac", "cpu_active_ps"])
def test_missing_action_is_named(tmp_path, action):
    data = full_table()
    del data["actions"][action]
    with pytest.raises(ConfigError, match=f"'{action}'"):
        load_energy_table(write(tmp_path, data))


@pytest.mark.parametrize("action", ["warp_drive", "mac_slot"])  # unknown, and unpriced
def test_unknown_action_is_named(tmp_path, action):
    data = full_table()
    data["actions"][action] = "1 pJ"
    with pytest.raises(ConfigError, match=f"'{action}'"):
        load_energy_table(write(tmp_path, data))


def test_bad_unit_and_missing_file_are_config_errors(tmp_path):
    data = full_table()
    data["actions"]["mac"] = "1 parsec"
    with pytest.raises(ConfigError, match="mac"):
        load_energy_table(write(tmp_path, data))
    with pytest.raises(ConfigError, match="no such energy table"):
        load_energy_table(tmp_path / "absent.yaml")


def test_missing_action_message_names_the_actions_key(tmp_path):
    data = full_table()
    del data["actions"]["mac"]
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_energy_table(path)
    assert str(info.value) == f"{path}: actions: no energy given for action 'mac'"


@pytest.mark.parametrize("power", ["-5 mW", "1e30 W", ".nan", ".inf"])
def test_a_static_power_that_is_negative_or_not_finite_is_named(tmp_path, power):
    """Static power is energy over the whole run: a negative or unbounded one would give
    negative or infinite joules, so it is refused with its key like any other value."""
    data = full_table()
    path = tmp_path / "table.yaml"
    text = yaml.safe_dump(data).replace("npu: 25 mW", f"npu: {power}")
    assert text != yaml.safe_dump(data)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"static_power\.npu"):
        load_energy_table(path)
