"""Annotated field types that accept unit strings in YAML and store the unit of the name."""

from typing import Annotated

from pydantic import BeforeValidator, Field

from soc.units import (
    parse_bandwidth_bytes_per_s,
    parse_energy_pj,
    parse_freq_hz,
    parse_power_w,
    parse_size_bytes,
    parse_time_ps,
)

TimePs = Annotated[int, BeforeValidator(parse_time_ps), Field(ge=0)]
FreqHz = Annotated[int, BeforeValidator(parse_freq_hz), Field(gt=0)]
SizeBytes = Annotated[int, BeforeValidator(parse_size_bytes), Field(ge=0)]
PositiveBytes = Annotated[int, BeforeValidator(parse_size_bytes), Field(gt=0)]
BandwidthBps = Annotated[float, BeforeValidator(parse_bandwidth_bytes_per_s), Field(gt=0)]
PowerW = Annotated[float, BeforeValidator(parse_power_w), Field(ge=0)]
EnergyPj = Annotated[float, BeforeValidator(parse_energy_pj), Field(ge=0)]
Count = Annotated[int, Field(gt=0)]
