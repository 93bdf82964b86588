"""Pydantic models of every configurable block and of a scenario, plus the YAML loader."""

from soc.config.dram import DramConfig
from soc.config.loader import load_scenario, resolved_yaml
from soc.config.models import (
    CpuConfig,
    DescriptorConfig,
    DmaConfig,
    DriverConfig,
    FlexNNConfig,
    LayerConfig,
    NocConfig,
    RunConfig,
    ScenarioConfig,
    SocConfig,
    SramConfig,
    WorkloadConfig,
)

__all__ = [
    "CpuConfig",
    "DescriptorConfig",
    "DmaConfig",
    "DramConfig",
    "DriverConfig",
    "FlexNNConfig",
    "LayerConfig",
    "NocConfig",
    "RunConfig",
    "ScenarioConfig",
    "SocConfig",
    "SramConfig",
    "WorkloadConfig",
    "load_scenario",
    "resolved_yaml",
]
