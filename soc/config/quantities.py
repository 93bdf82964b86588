"""Annotated field types that accept unit strings in YAML and store the unit of the name.

Every quantity is finite and bounded, so that the simulator's integer and float
arithmetic on it (picosecond timestamps, addresses, products of a size and a count,
numpy int64 arrays) cannot overflow or divide by zero:

- a time (`*_ps`) is at most `MAX_TIME_PS` = 10**18 ps (1e6 s, 11.6 days): an int64
  count of picoseconds with a factor of 9 to spare;
- a frequency (`*_hz`) is at most `MAX_FREQ_HZ` = 10**12 Hz (a period of 1 ps, the
  time grain); a rate in frames per second (`fps`) lies between `MIN_FPS` = 1e-6
  (a period of at most 1e6 s) and 10**12 (a period of at least 1 ps);
- a size or an address (`*_bytes`, `base_addr`) is at most `MAX_SIZE_BYTES` = 2**50
  (1 PiB): an address plus a size, or a size times 2**12, still fits an int64;
- a bandwidth (`*_bytes_per_s`) lies between `MIN_BANDWIDTH` = 1 B/s (the token
  buckets divide by its whole number) and `MAX_BANDWIDTH` = 1e15 B/s (1 PB/s);
- a count (`Count`, and the plain integers: priorities, cycles) is at most
  `MAX_COUNT` = 2**31 - 1; cycles per byte, element or MAC at most `MAX_CYCLES_PER` 1e6;
- a power at most 1e6 W, an energy at most 1e15 pJ (1 kJ);
- a count of hardware the simulator builds one object each of (DMA channels, SRAM banks,
  NoC routers, CPU cores, PE rows, columns and lanes, DRAM channels, ranks, bank groups
  and banks per group) at most `MAX_UNITS` = 4096, and a banked DRAM's banks in all at
  most `MAX_DRAM_BANKS` = 65536.
"""

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from soc.units import (
    parse_bandwidth_bytes_per_s,
    parse_energy_pj,
    parse_freq_hz,
    parse_power_w,
    parse_size_bytes,
    parse_time_ps,
)

MAX_TIME_PS = 10**18
MAX_FREQ_HZ = 10**12
MIN_FPS = 1e-6
MAX_FPS = 1e12
MAX_SIZE_BYTES = 2**50
MIN_BANDWIDTH = 1.0
MAX_BANDWIDTH = 1e15
MAX_COUNT = 2**31 - 1
MAX_CYCLES_PER = 1e6
MAX_POWER_W = 1e6
MAX_ENERGY_PJ = 1e15
MAX_UNITS = 4096
MAX_DRAM_BANKS = 65536


def _within(low: float | None, high: float, what: str, low_what: str = "{:g}", unit: str = ""):
    """An after-validator refusing a value outside [low, high], naming the bound;
    `unit` follows the value as stored (the field's unit)."""

    def check(value: float) -> float:
        if value > high:
            raise ValueError(f"{value:.6g}{unit} is too large: at most {what.format(high)}")
        if low is not None and value < low:
            raise ValueError(f"{value:.6g}{unit} is too small: at least {low_what.format(low)}")
        return value

    return AfterValidator(check)


TimePs = Annotated[
    int,
    BeforeValidator(parse_time_ps),
    Field(ge=0),
    _within(None, MAX_TIME_PS, "1e6 s ({:.0e} ps)", unit=" ps"),
]
FreqHz = Annotated[
    int,
    BeforeValidator(parse_freq_hz),
    Field(gt=0),
    _within(None, MAX_FREQ_HZ, "1 THz", unit=" Hz"),
]
SizeBytes = Annotated[
    int,
    BeforeValidator(parse_size_bytes),
    Field(ge=0),
    _within(None, MAX_SIZE_BYTES, "1 PiB (2**50 B)", unit=" B"),
]
PositiveBytes = Annotated[
    int,
    BeforeValidator(parse_size_bytes),
    Field(gt=0),
    _within(None, MAX_SIZE_BYTES, "1 PiB (2**50 B)", unit=" B"),
]
BandwidthBps = Annotated[
    float,
    BeforeValidator(parse_bandwidth_bytes_per_s),
    Field(gt=0),
    _within(MIN_BANDWIDTH, MAX_BANDWIDTH, "1 PB/s", "1 B/s", unit=" B/s"),
]
PowerW = Annotated[
    float,
    BeforeValidator(parse_power_w),
    Field(ge=0),
    _within(None, MAX_POWER_W, "{:g} W", unit=" W"),
]
EnergyPj = Annotated[
    float,
    BeforeValidator(parse_energy_pj),
    Field(ge=0),
    _within(None, MAX_ENERGY_PJ, "{:g} pJ", unit=" pJ"),
]
Count = Annotated[int, Field(gt=0), _within(None, MAX_COUNT, "{}")]
Units = Annotated[int, Field(gt=0), _within(None, MAX_UNITS, "{} (each is built as an object)")]
"""A count of hardware units, each simulated as an object of its own."""
Natural = Annotated[int, Field(ge=0), _within(None, MAX_COUNT, "{}")]
"""A count that may be 0: a priority, a latency in cycles, a padding."""
FrameRate = Annotated[
    float,
    Field(gt=0),
    _within(MIN_FPS, MAX_FPS, "{:g} (a period of 1 ps)", "{:g} (a period of 1e6 s)", " Hz"),
]
"""Frames per second: a period between 1 ps and 1e6 s."""
CyclesPer = Annotated[float, Field(ge=0), _within(None, MAX_CYCLES_PER, "{:g}")]
"""Cycles per byte, element or MAC."""
