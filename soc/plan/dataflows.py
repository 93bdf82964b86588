"""Resolve each layer's dataflow setting (auto, a fixed dataflow, or explicit loops)
into a descriptor."""

from __future__ import annotations

from collections.abc import Sequence

from soc.config import DescriptorConfig, ScenarioConfig
from soc.config.models import Dataflow
from soc.energy import EnergyTable, load_energy_table
from soc.errors import MappingError
from soc.flexnn import Descriptor
from soc.flexnn.cost import CostParams
from soc.plan.mappings import LayerMapper
from soc.workloads import Layer


def cost_params(scenario: ScenarioConfig, table: EnergyTable | None = None) -> CostParams:
    """Prices from the energy table; DRAM and NoC link bandwidth per engine cycle; the
    fixed cost of a DMA transfer in engine cycles."""
    table = table or load_energy_table(scenario.soc.energy_table)
    soc = scenario.soc
    noc = soc.noc.link_width_bytes * soc.noc.freq_hz / soc.flexnn.freq_hz
    dram = soc.dram.bandwidth_bytes_per_s / soc.flexnn.freq_hz
    # a transfer's fixed cost: descriptor setup, the DRAM's latency, four crossbar hops
    hop_ps = soc.noc.router_latency_cycles * 1e12 / soc.noc.freq_hz
    overhead_ps = soc.dma.setup_latency_ps + soc.dram.latency_ps + 4 * hop_ps
    return CostParams(dict(table.actions), dram, noc, overhead_ps * soc.flexnn.freq_hz / 1e12)


def layer_dataflows(scenario: ScenarioConfig, layers: Sequence[Layer]) -> list[Dataflow]:
    """Per layer: its own setting, else workload.per_layer, else workload.dataflow."""
    workload = scenario.workload  # names in per_layer are checked when planning starts
    inline = {lc.name: lc.dataflow for lc in workload.layers or [] if lc.dataflow is not None}
    return [
        inline.get(layer.name, workload.per_layer.get(layer.name, workload.dataflow))
        for layer in layers
    ]


def choose_descriptor(
    layer: Layer,
    dataflow: Dataflow,
    scenario: ScenarioConfig,
    params: CostParams,
    mapper: LayerMapper | None = None,
) -> Descriptor:
    """The descriptor a layer runs with. `mapper` searches (and caches) the mappings;
    pass one per run so that repeated layer shapes are searched once."""
    if isinstance(dataflow, DescriptorConfig):
        where = f"workload dataflow of layer {layer.name}"
        return Descriptor.parse(dataflow.model_dump(), name="explicit", where=where)
    mapping = (mapper or LayerMapper(scenario, params)).map(layer)
    choice = mapping.best if dataflow == "auto" else mapping.baselines[dataflow]
    if choice is None:
        raise MappingError(f"layer {layer.name}: dataflow {dataflow} does not fit this layer")
    return choice.descriptor
