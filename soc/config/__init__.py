"""Pydantic models of every configurable block and of a scenario, plus the YAML loader.

Names are imported from their modules when first used, so that importing one
module of the package does not import all of them (start-up time, issue 10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from soc import lazy_names

if TYPE_CHECKING:
    from soc.config.dram import DramConfig
    from soc.config.loader import load_scenario, resolved_yaml
    from soc.config.models import (
        CpuConfig,
        DescriptorConfig,
        DmaConfig,
        FlexNNConfig,
        LayerConfig,
        NocConfig,
        SocConfig,
        SramConfig,
        WorkloadConfig,
    )
    from soc.config.scenario import DriverConfig, PipelineConfig, RunConfig, ScenarioConfig

_WHERE = {
    "CpuConfig": "soc.config.models",
    "DescriptorConfig": "soc.config.models",
    "DmaConfig": "soc.config.models",
    "DramConfig": "soc.config.dram",
    "DriverConfig": "soc.config.scenario",
    "FlexNNConfig": "soc.config.models",
    "LayerConfig": "soc.config.models",
    "load_scenario": "soc.config.loader",
    "NocConfig": "soc.config.models",
    "resolved_yaml": "soc.config.loader",
    "PipelineConfig": "soc.config.scenario",
    "RunConfig": "soc.config.scenario",
    "ScenarioConfig": "soc.config.scenario",
    "SocConfig": "soc.config.models",
    "SramConfig": "soc.config.models",
    "WorkloadConfig": "soc.config.models",
}

__all__ = [
    "CpuConfig",
    "DescriptorConfig",
    "DmaConfig",
    "DramConfig",
    "DriverConfig",
    "FlexNNConfig",
    "LayerConfig",
    "NocConfig",
    "PipelineConfig",
    "RunConfig",
    "ScenarioConfig",
    "SocConfig",
    "SramConfig",
    "WorkloadConfig",
    "load_scenario",
    "resolved_yaml",
]

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
