"""ClockDomain: exact ceiling conversion of cycles to integer picoseconds."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from soc.kernel.clock import ClockDomain

GHZ_1_3 = ClockDomain(1_300_000_000)


@pytest.mark.parametrize(
    ("cycles", "ps"),
    [
        (0, 0),
        (1, 770),  # 1e12 / 1.3e9 = 769.23... -> 770
        (2, 1_539),  # 1538.46... -> 1539
        (13, 10_000),  # 13e12 / 1.3e9 = 10,000 exactly
        (1_300_000_000 * 1_000, 10**15),  # 1000 s of cycles, no drift
    ],
)
def test_ps_at_1_3_ghz(cycles, ps):
    assert GHZ_1_3.ps(cycles) == ps


def test_ps_at_round_frequencies():
    assert ClockDomain(1_000_000_000).ps(7) == 7_000  # 1 ns period
    assert ClockDomain(3_000_000_000).ps(1) == 334  # 333.33... -> 334
    assert ClockDomain(3_000_000_000).ps(3) == 1_000


def test_ps_array_hand_values():
    cycles = np.array([0, 1, 2, 13, 26])
    assert GHZ_1_3.ps_array(cycles).tolist() == [0, 770, 1_539, 10_000, 20_000]


@given(
    freq_hz=st.integers(1_000_000, 5_000_000_000),
    cycles=st.lists(st.integers(0, 10**6), min_size=1, max_size=20),
)
def test_ps_is_the_smallest_covering_duration(freq_hz, cycles):
    clock = ClockDomain(freq_hz)
    for n in cycles:
        t = clock.ps(n)
        # t ps hold at least n cycles (t * f >= n * 1e12), t - 1 ps do not.
        assert t * freq_hz >= n * 10**12
        assert (t - 1) * freq_hz < n * 10**12
    assert clock.ps_array(np.array(cycles)).tolist() == [clock.ps(n) for n in cycles]


@pytest.mark.parametrize("freq_hz", [0, -1])
def test_non_positive_frequency_is_rejected(freq_hz):
    with pytest.raises(ValueError, match=str(freq_hz)):
        ClockDomain(freq_hz)


@given(
    freq=st.sampled_from([10**9, 1_200_000_000, 1_300_000_000, 2_133_000_000]),
    n=st.integers(1, 10**12),
)
def test_edge_at_or_after_inverts_ps(freq, n):
    clock = ClockDomain(freq)
    # an edge's own (rounded-up) time maps back to it; one ps past the previous edge too
    assert clock.edge_at_or_after(clock.ps(n)) == n
    assert clock.edge_at_or_after(clock.ps(n - 1) + 1) == n
