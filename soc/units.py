"""Quantities with units: parsing YAML strings such as "1.3 GHz" into integers or floats.

Each parser returns the value in the unit its field carries in its name: ``*_ps`` in
integer picoseconds, ``*_hz`` in integer hertz, ``*_bytes`` in integer bytes,
``*_bytes_per_s`` in bytes per second, ``*_w`` in watts, ``*_pj`` in picojoules. A bare
number is taken to be in that unit already.
"""

from __future__ import annotations

import math
import re

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\s\d].*?)?\s*$")

MAX_QUANTITY_CHARS = 100
"""A quantity written longer than this is refused before it is parsed."""

_TIME_PS = {"ps": 1, "ns": 10**3, "us": 10**6, "µs": 10**6, "ms": 10**9, "s": 10**12}
# Units are case-sensitive: "mW" and "MW", "Mb" and "MB" must not be confused.
_FREQ_HZ = {"Hz": 1, "kHz": 10**3, "MHz": 10**6, "GHz": 10**9}
_SIZE_BYTES = {
    "B": 1,
    "kB": 10**3,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "KiB": 2**10,
    "MiB": 2**20,
    "GiB": 2**30,
}
_POWER_W = {"W": 1.0, "mW": 1e-3, "uW": 1e-6, "µW": 1e-6}
_ENERGY_PJ = {"fJ": 1e-3, "pJ": 1.0, "nJ": 1e3, "uJ": 1e6, "µJ": 1e6}


def _split(text: object, what: str, example: str) -> tuple[float, str | None]:
    if isinstance(text, bool):
        raise ValueError(f"expected a {what} such as '{example}', got {echoed(text)}")
    if isinstance(text, int | float):
        value = float(text) if abs(text) < 1e308 else math.inf
        if not math.isfinite(value):
            raise ValueError(f"{what} {echoed(text)} is not a finite number")
        return value, None
    if not isinstance(text, str):
        raise ValueError(f"expected a {what} such as '{example}', got {echoed(text)}")
    if len(text) > MAX_QUANTITY_CHARS:
        raise ValueError(f"malformed {what} {echoed(text)} (expected e.g. '{example}')")
    match = _NUMBER.match(text)
    if match is None:
        raise ValueError(f"malformed {what} {echoed(text)} (expected e.g. '{example}')")
    number, unit = match.groups()
    if not math.isfinite(float(number)):
        raise ValueError(f"{what} {echoed(text)} is not a finite number")
    return float(number), unit


def echoed(value: object) -> str:
    """`value` as a message echoes it: its repr, at most about 60 characters and the
    length (`'xxx…'… (30,000 characters)`)."""
    if isinstance(value, str) and len(value) > 60:
        return f"{value[:60]!r}… ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:60]}… ({len(text):,} characters)"


def _finite(value: float, text: object, what: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{what} {echoed(text)} is not a finite number")
    return value


def _lookup(table: dict, unit: str, text: object, what: str, example: str):
    scale = table.get(unit) if unit is not None else None
    if scale is None:
        raise ValueError(
            f"malformed {what} {echoed(text)}: unknown unit {echoed(unit)} "
            f"(one of {', '.join(sorted(table))}; e.g. '{example}')"
        )
    return scale


def _to_int(value: float, text: object, what: str) -> int:
    if not math.isfinite(value):
        raise ValueError(f"{what} {echoed(text)} is not a finite number")
    rounded = round(value)
    # allow only the float error of number x scale ("1.3 GHz"), not real fractions
    if abs(value - rounded) > 1e-9 * max(1.0, abs(value)):
        raise ValueError(f"{what} {echoed(text)} is not a whole number in its base unit")
    return int(rounded)


def parse_time_ps(text: object) -> int:
    """Duration to integer picoseconds: "40 ns" -> 40000."""
    value, unit = _split(text, "duration", "40 ns")
    if unit is not None:
        value *= _lookup(_TIME_PS, unit, text, "duration", "40 ns")
    return _to_int(value, text, "duration")


def parse_freq_hz(text: object) -> int:
    """Frequency to integer hertz: "1.3 GHz" -> 1_300_000_000."""
    value, unit = _split(text, "frequency", "1.3 GHz")
    if unit is not None:
        value *= _lookup(_FREQ_HZ, unit, text, "frequency", "1.3 GHz")
    return _to_int(value, text, "frequency")


def parse_size_bytes(text: object) -> int:
    """Size to integer bytes: "2 MiB" -> 2097152 (KB/MB/GB are decimal, KiB/MiB/GiB binary)."""
    value, unit = _split(text, "size", "2 MiB")
    if unit is not None:
        value *= _lookup(_SIZE_BYTES, unit, text, "size", "2 MiB")
    return _to_int(value, text, "size")


def parse_bandwidth_bytes_per_s(text: object) -> float:
    """Bandwidth to bytes per second: "12.8 GB/s" -> 12.8e9."""
    value, unit = _split(text, "bandwidth", "12.8 GB/s")
    if unit is not None:
        if not unit.endswith("/s"):
            raise ValueError(f"malformed bandwidth {echoed(text)} (expected e.g. '12.8 GB/s')")
        value *= _lookup(_SIZE_BYTES, unit[:-2], text, "bandwidth", "12.8 GB/s")
    return _finite(value, text, "bandwidth")


def parse_power_w(text: object) -> float:
    """Power to watts: "50 mW" -> 0.05."""
    value, unit = _split(text, "power", "50 mW")
    if unit is not None:
        value *= _lookup(_POWER_W, unit, text, "power", "50 mW")
    return _finite(value, text, "power")


def parse_energy_pj(text: object) -> float:
    """Energy to picojoules: "0.2 pJ" -> 0.2, "1 nJ" -> 1000."""
    value, unit = _split(text, "energy", "0.2 pJ")
    if unit is not None:
        value *= _lookup(_ENERGY_PJ, unit, text, "energy", "0.2 pJ")
    return _finite(value, text, "energy")


def format_time_ps(ps: int | float) -> str:
    """Human-readable duration for reports: 1234567 -> '1.235 us'."""
    for unit, scale in (("s", 10**12), ("ms", 10**9), ("us", 10**6), ("ns", 10**3)):
        if abs(ps) >= scale:
            return f"{ps / scale:.3f} {unit}"
    return f"{ps} ps"


def format_bytes(n: int | float) -> str:
    """Human-readable size for reports: 1536 -> '1.50 KiB'."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{int(n)} B"
