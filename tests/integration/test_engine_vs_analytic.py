"""A descriptor-driven layer in the SimPy SoC takes the analytic model's cycles (1 %)."""

import pytest

from soc.assemble import plan_workload
from soc.assemble.dataflows import cost_params
from soc.config import load_scenario
from soc.flexnn.cost import evaluate
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


@pytest.mark.parametrize("dataflow", ["auto", "is", "ws", "os", "rs"])
def test_engine_matches_analytic_cycles(tmp_path, dataflow):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(dataflow=dataflow))
    config = load_scenario(path)
    (plan,), _ = plan_workload(config)
    analytic = evaluate(plan.layer, config.soc.flexnn, plan.descriptor, cost_params(config))
    _, stats, _ = simulate(config, [])
    (row,) = stats.layer_rows()
    engine_cycles = row["elapsed_ps"] * config.soc.flexnn.freq_hz / 1e12
    assert engine_cycles == pytest.approx(analytic.cycles, rel=0.01)
