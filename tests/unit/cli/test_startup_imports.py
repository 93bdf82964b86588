"""What `soc` imports before it does anything, and what a warm `soc map` imports: the
simulator's modules, simpy and structlog only when a command needs them, numpy only when
the mapper searches (issue 10).

Each check runs in a fresh interpreter and asserts on its `sys.modules`."""

import json
import os
import subprocess
import sys
from pathlib import Path

# modules that simulating needs and mapping from the cache does not
SIMULATOR = (
    "simpy",
    "structlog",
    "soc.assemble.build",
    "soc.flexnn.engine",
    "soc.flexnn.plan",
    "soc.hw",
    "soc.kernel.component",
    "soc.runner.run",
)

PROBE = """
import json, sys
from soc.cli.main import app
if len(sys.argv) > 1:
    app(args=sys.argv[1:], standalone_mode=False)
print(json.dumps(sorted(sys.modules)))
"""


def probe(*args: str, cache_dir=None) -> tuple[list[str], set[str]]:
    """The command's stdout lines (without the probe's) and the modules it imported."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["FLEXSOC_CACHE_DIR"] = str(cache_dir)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    *lines, modules = result.stdout.splitlines()
    return lines, set(json.loads(modules))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in modules]


def test_importing_the_cli_imports_no_simulator_and_no_numpy():
    _, modules = probe()
    assert "soc.cli.main" in modules
    assert loaded(modules, (*SIMULATOR, "numpy", "yaml", "soc.assemble")) == []


def test_a_warm_map_imports_no_simulator_and_no_numpy(tmp_path):
    cold, modules = probe("map", "edge_cnn", cache_dir=tmp_path)
    assert "simpy" not in modules and len(list((tmp_path / "mappings").iterdir())) == 5
    assert "numpy" in modules  # the search ran: the cache was empty
    warm, modules = probe("map", "edge_cnn", cache_dir=tmp_path)
    assert "soc.plan.mappings" in modules  # it did map, through the cache
    assert loaded(modules, (*SIMULATOR, "numpy")) == []
    # the same table; only the time it took may differ
    assert [line for line in warm if "mapped in" not in line] == [
        line for line in cold if "mapped in" not in line
    ]
    assert "5 layers mapped in" in "\n".join(warm)


def test_the_probe_sees_what_a_command_imports(tmp_path):
    """The checks above can fail: `soc validate` compiles the workload's layer plans."""
    scenario = Path(__file__).resolve().parents[3] / "scenarios" / "quickstart.yaml"
    _, modules = probe("validate", str(scenario), cache_dir=tmp_path)
    assert "soc.flexnn.plan" in loaded(modules, SIMULATOR)


def test_package_names_resolve_to_their_modules_and_are_not_stored():
    """A package's names are its modules' objects, looked up on use: nothing is written
    into the package (STYLE rule 9: no module-level mutable state)."""
    import soc.config
    import soc.config.scenario
    import soc.energy
    import soc.energy.table

    assert soc.config.ScenarioConfig is soc.config.scenario.ScenarioConfig
    assert soc.energy.load_energy_table is soc.energy.table.load_energy_table
    assert "ScenarioConfig" not in vars(soc.config)
    assert "load_energy_table" not in vars(soc.energy)
    assert {"ScenarioConfig", "load_scenario"} <= set(dir(soc.config))
    try:
        soc.config.NoSuchName  # noqa: B018
    except AttributeError as exc:
        assert "soc.config" in str(exc) and "NoSuchName" in str(exc)
    else:
        raise AssertionError("an unknown name resolved")
