"""A descriptor-driven layer in the SimPy SoC takes the analytic model's cycles (1 %)."""

import functools
import tempfile
from pathlib import Path

import pytest

from soc.config import load_scenario
from soc.flexnn.cost import evaluate
from soc.plan import plan_workload
from soc.plan.dataflows import cost_params
from soc.runner import simulate

SCENARIO = """\
name: one_layer
soc:
  dram: {{bandwidth_bytes_per_s: 1000 GB/s}}   # ample: no DRAM stalls
  noc: {{link_width_bytes: 256}}
workload:
  objective: latency
  dataflow: {dataflow}
  layers:
    - {{name: c, op: conv, c: 64, k: 64, h: 56, w: 56, r: 3, s: 3, padding: 1}}
driver:
  preprocess: {{cycles_per_byte: 0, bytes: 0}}
  postprocess: {{cycles_per_byte: 0, bytes: 0}}
run: {{trace_level: layer, chrome_trace: false, native_trace: false}}
"""


@functools.cache
def _layer_run(dataflow: str):
    """The one-layer scenario under `dataflow`: config, the cost model's estimate, and
    the simulation's layer rows and energy (simulated once per dataflow)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        path.write_text(SCENARIO.format(dataflow=dataflow))
        config = load_scenario(path)
    (plan,) = plan_workload(config).plans
    analytic = evaluate(plan.layer, config.soc.flexnn, plan.descriptor, cost_params(config))
    _, stats, energy = simulate(config, [])
    return config, analytic, stats.layer_rows(), energy


@pytest.mark.parametrize("dataflow", ["auto", "is", "ws", "os", "rs"])
def test_engine_matches_analytic_cycles(dataflow):
    config, analytic, (row,), _ = _layer_run(dataflow)
    engine_cycles = row["elapsed_ps"] * config.soc.flexnn.freq_hz / 1e12
    assert engine_cycles == pytest.approx(analytic.cycles, rel=0.01)


def _memory_energy(dataflow):
    """The layer's simulated energy per component, and the cost model's."""
    _, analytic, _, energy = _layer_run(dataflow)
    by_action = analytic.energy_by_action
    expected = {
        "dram": by_action["dram_read_byte"] + by_action["dram_write_byte"],
        "noc": by_action["noc_byte_hop"],
        "sram": by_action["sram_read_byte"] + by_action["sram_write_byte"],
        "npu": sum(by_action[a] for a in ("mac", "rf_read_byte", "rf_write_byte"))
        + by_action["array_delivery_byte"],
    }
    return energy["by_layer"]["c"]["by_component"], expected


# Two independent paths: the loop-nest counts priced by the cost model, and the requests
# the simulated DMA, SRAM, NoC and DRAM serve during the layer, priced by the ledger.


@pytest.mark.parametrize("dataflow", ["auto", "is", "ws", "os", "rs"])
def test_engine_dram_and_noc_energy_equal_the_analytic_counts(dataflow):
    simulated, expected = _memory_energy(dataflow)
    for component in ("dram", "noc"):
        assert simulated[component] == pytest.approx(expected[component], rel=1e-9), component


@pytest.mark.parametrize(
    "dataflow",
    [
        "auto",
        "os",
        "is",
        "ws",
        "rs",
    ],
)
def test_engine_sram_energy_equals_the_analytic_counts(dataflow):
    simulated, expected = _memory_energy(dataflow)
    assert simulated["sram"] == pytest.approx(expected["sram"], rel=1e-9)


@pytest.mark.parametrize(
    "dataflow",
    [
        "auto",
        "is",
        "ws",
        "os",
        "rs",
    ],
)
def test_engine_npu_energy_equals_the_analytic_counts(dataflow):
    # MACs, operand and accumulator register-file traffic, and array delivery
    simulated, expected = _memory_energy(dataflow)
    assert simulated["npu"] == pytest.approx(expected["npu"], rel=1e-9)
