"""Unit-string parsers: hand-computed values, bare numbers, and malformed input."""

import re

import pytest

from soc.units import (
    format_bytes,
    format_time_ps,
    parse_bandwidth_bytes_per_s,
    parse_energy_pj,
    parse_freq_hz,
    parse_power_w,
    parse_size_bytes,
    parse_time_ps,
)

PARSERS = [
    parse_time_ps,
    parse_freq_hz,
    parse_size_bytes,
    parse_bandwidth_bytes_per_s,
    parse_power_w,
    parse_energy_pj,
]


@pytest.mark.parametrize(
    ("parse", "text", "expected"),
    [
        (parse_time_ps, "40 ns", 40_000),
        (parse_time_ps, "40ns", 40_000),
        (parse_time_ps, "1 ps", 1),
        (parse_time_ps, "2.5 us", 2_500_000),
        (parse_time_ps, "3 ms", 3_000_000_000),
        (parse_time_ps, "1 s", 10**12),
        (parse_time_ps, " 7 ns ", 7_000),  # spaces around are ignored
        (parse_freq_hz, "1.3 GHz", 1_300_000_000),
        (parse_freq_hz, "100 MHz", 100_000_000),
        (parse_freq_hz, "32 kHz", 32_000),
        (parse_freq_hz, "50 Hz", 50),
        (parse_size_bytes, "2 MiB", 2 * 1024 * 1024),
        (parse_size_bytes, "2 MB", 2_000_000),
        (parse_size_bytes, "1.5 KiB", 1536),
        (parse_size_bytes, "1 GiB", 1024**3),
        (parse_size_bytes, "3 B", 3),
        (parse_bandwidth_bytes_per_s, "12.8 GB/s", 12.8e9),
        (parse_bandwidth_bytes_per_s, "100 MB/s", 1e8),
        (parse_bandwidth_bytes_per_s, "1 KiB/s", 1024.0),
        (parse_power_w, "50 mW", 0.05),
        (parse_power_w, "2 W", 2.0),
        (parse_power_w, "3 uW", 3e-6),
        (parse_energy_pj, "0.2 pJ", 0.2),
        (parse_energy_pj, "1 nJ", 1000.0),
        (parse_energy_pj, "5 fJ", 0.005),
        (parse_energy_pj, "2 uJ", 2e6),
    ],
)
def test_unit_strings(parse, text, expected):
    value = parse(text)
    assert value == pytest.approx(expected, rel=1e-12)
    assert type(value) is type(expected)  # integer fields stay integers


@pytest.mark.parametrize(
    ("parse", "bare", "expected"),
    [
        (parse_time_ps, 40, 40),
        (parse_time_ps, "40", 40),
        (parse_freq_hz, 1000.0, 1000),
        (parse_size_bytes, "64", 64),
        (parse_bandwidth_bytes_per_s, 5, 5.0),
        (parse_power_w, "0.5", 0.5),
        (parse_energy_pj, 3, 3.0),
    ],
)
def test_bare_number_is_in_the_base_unit(parse, bare, expected):
    value = parse(bare)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_freq_hz, "12 GHzz"),
        (parse_time_ps, "fast"),
        (parse_time_ps, ""),
        (parse_time_ps, "1 2 ns"),
        (parse_time_ps, "40 GHz"),  # a unit of the wrong dimension
        (parse_size_bytes, "1.5 B"),  # not a whole number of bytes
        (parse_time_ps, "0.5 ps"),
        (parse_bandwidth_bytes_per_s, "12.8 GB"),  # no "/s"
        (parse_bandwidth_bytes_per_s, "12.8 GHz/s"),
    ],
)
def test_malformed_strings_name_the_input(parse, text):
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse(text)


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("value", [True, None, [40]])
def test_non_numbers_are_rejected(parse, value):
    with pytest.raises(ValueError, match=re.escape(repr(value))):
        parse(value)


@pytest.mark.parametrize("text", ["1e400 ps", float("inf")])
def test_infinite_duration_is_a_value_error(text):
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse_time_ps(text)


def test_large_fractional_size_is_not_whole():
    with pytest.raises(ValueError, match="whole number"):
        parse_size_bytes("1000000.5 B")


@pytest.mark.parametrize(
    ("ps", "text"),
    [(999, "999 ps"), (1_500, "1.500 ns"), (1_234_567, "1.235 us"), (2 * 10**12, "2.000 s")],
)
def test_format_time_ps(ps, text):
    assert format_time_ps(ps) == text


@pytest.mark.parametrize(
    ("n", "text"), [(512, "512 B"), (1536, "1.50 KiB"), (3 * 2**20, "3.00 MiB")]
)
def test_format_bytes(n, text):
    assert format_bytes(n) == text


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (parse_power_w, "1 MW"),
        (parse_size_bytes, "2 Mb"),
        (parse_freq_hz, "1 mHz"),
        (parse_time_ps, "7 NS"),
    ],
)
def test_units_are_case_sensitive(parser, text):
    # "MW" is not "mW", "Mb" (bits) is not "MB": a wrong case is an error, never a guess.
    with pytest.raises(ValueError, match="unknown unit"):
        parser(text)
