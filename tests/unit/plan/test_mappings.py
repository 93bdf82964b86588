"""The mapping cache: a hit gives the same choices as a search; any input that decides
a mapping is part of its key; a damaged entry or an unwritable cache never fails a run;
with the cache off nothing is read or written."""

import json

import pytest
import yaml

import soc.plan.mappings as mappings
from soc.config import ScenarioConfig, SocConfig, WorkloadConfig
from soc.plan import plan_workload
from soc.runner import map_workload

ZOO = "zoo:edge_cnn"  # the quickstart's network: five layers of four kinds


def scenario(objective="edp", **soc_update) -> ScenarioConfig:
    soc = SocConfig()
    for block, fields in soc_update.items():
        soc = soc.model_copy(update={block: getattr(soc, block).model_copy(update=fields)})
    return ScenarioConfig(
        name="cache", soc=soc, workload=WorkloadConfig(model=ZOO, objective=objective)
    )


def without_cache(config: ScenarioConfig) -> ScenarioConfig:
    return config.model_copy(update={"run": config.run.model_copy(update={"mapping_cache": False})})


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FLEXSOC_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "mappings"


@pytest.fixture
def searches(monkeypatch):
    """Counts the layer searches that ran (cache misses)."""
    calls = []
    search = mappings.map_layer

    def counted(layer, *args):
        calls.append(layer.name)
        return search(layer, *args)

    monkeypatch.setattr(mappings, "map_layer", counted)
    return calls


def choices(result):
    return [(m.layer.name, m.best, m.baselines) for m in result.layers]


def test_a_hit_gives_the_searched_choices(cache_dir, searches):
    searched = map_workload(scenario())
    assert len(searches) == 5 and len(list(cache_dir.iterdir())) == 5
    reference = map_workload(without_cache(scenario()))
    searches.clear()
    cached = map_workload(scenario())
    assert searches == []  # every layer from the cache
    assert choices(cached) == choices(searched) == choices(reference)


def test_repeated_shapes_are_searched_once_per_run(cache_dir, searches):
    result = map_workload(
        without_cache(
            scenario().model_copy(
                update={"workload": WorkloadConfig(model="zoo:resnet50", objective="edp")}
            )
        )
    )
    assert len(result.layers) == 54
    assert len(searches) == 24  # ResNet-50's distinct layer shapes
    assert not cache_dir.exists()


def test_planning_a_run_searches_each_shape_once(cache_dir, searches):
    config = scenario().model_copy(
        update={"workload": WorkloadConfig(model="zoo:resnet50", objective="edp")}
    )
    plans = plan_workload(without_cache(config)).plans
    assert len(plans) == 54 and len(searches) == 24


@pytest.mark.parametrize(
    "changed",
    [
        scenario(objective="energy"),
        scenario(flexnn={"lanes": 4}),
        scenario(flexnn={"of_rf_bytes": 256}),
        scenario(sram={"size_bytes": 1 << 20}),
        scenario(dram={"latency_ps": 200_000}),  # the DMA's fixed cost per transfer
    ],
    ids=["objective", "lanes", "of_rf_bytes", "sram_size", "dram_latency"],
)
def test_a_changed_input_misses(cache_dir, searches, changed):
    map_workload(scenario())
    searches.clear()
    map_workload(changed)
    assert len(searches) == 5
    assert len(list(cache_dir.iterdir())) == 10


def test_round_batch_shares_the_key_and_pe_rows_does_not(cache_dir, searches):
    """Round batching is applied to finished plans: it does not decide a mapping."""
    map_workload(scenario())
    searches.clear()
    map_workload(scenario(flexnn={"round_batch": 8}))
    assert searches == [] and len(list(cache_dir.iterdir())) == 5
    map_workload(scenario(flexnn={"pe_rows": 8}))
    assert len(searches) == 5 and len(list(cache_dir.iterdir())) == 10


def test_a_changed_energy_table_misses(cache_dir, searches, tmp_path):
    from soc.energy import load_energy_table

    table = load_energy_table().model_dump(mode="json")
    table["actions"]["sram_read_byte"] *= 2
    path = tmp_path / "table.yaml"
    path.write_text(yaml.safe_dump(table))
    map_workload(scenario())
    searches.clear()
    config = scenario()
    config = config.model_copy(update={"soc": config.soc.model_copy(update={"energy_table": path})})
    map_workload(config)
    assert len(searches) == 5


def test_with_the_cache_off_nothing_is_written(cache_dir, searches):
    map_workload(without_cache(scenario()))
    map_workload(without_cache(scenario()))
    assert len(searches) == 10
    assert not cache_dir.parent.exists()


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: "not json",
        lambda text: "[]",
        lambda text: text.replace('"cycles": ', '"cycles": "many", "x": '),
        lambda text: json.dumps({**json.loads(text), "key": "another"}),
        lambda text: text.replace('"sram": "', '"sram": "Z9 '),
    ],
    ids=["truncated", "garbage", "wrong-type", "field-type", "other-key", "bad-loop"],
)
def test_a_damaged_entry_is_recomputed_and_rewritten(cache_dir, searches, damage):
    searched = map_workload(scenario())
    for entry in cache_dir.iterdir():
        entry.write_text(damage(entry.read_text()))
    searches.clear()
    again = map_workload(scenario())
    assert len(searches) == 5
    assert choices(again) == choices(searched)
    searches.clear()
    map_workload(scenario())
    assert searches == []  # rewritten whole


def test_an_unwritable_cache_is_skipped(tmp_path, monkeypatch, searches):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("FLEXSOC_CACHE_DIR", str(blocker))  # a file: no directory inside
    result = map_workload(scenario())
    assert len(result.layers) == 5 and len(searches) == 5


def test_the_cache_lives_in_the_users_cache_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("FLEXSOC_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mappings.cache_root() == tmp_path / "xdg" / "flexsoc"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mappings.cache_root() == tmp_path / "home" / ".cache" / "flexsoc"
    monkeypatch.setenv("FLEXSOC_CACHE_DIR", str(tmp_path / "mine"))
    assert mappings.cache_root() == tmp_path / "mine"
