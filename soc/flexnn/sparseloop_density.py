"""Sparseloop's statistical density models: how many non-zeros a tile of a tensor holds.

A tensor of N elements has an average density d. A tile of n of its elements holds k
non-zeros with a probability that depends on the model:

- ``fixed_structured`` (also Sparseloop's default for a bare number): every tile holds
  n x d non-zeros; when n x d is not whole, floor(n x d) with probability 1 - frac and
  ceil(n x d) with probability frac. Deterministic for whole counts, as in N:M pruning.
- ``hypergeometric``: the r = ceil(d x N) non-zeros are spread uniformly at random over
  the tensor, so a tile of n holds k with probability C(r, k) C(N - r, n - k) / C(N, n).
  ``uniform`` is read as this model (the Sparseloop paper's "uniformly distributed"
  sparsity; Timeloop itself only spells it ``hypergeometric``).

Sparseloop also asks about a sub-tile *given* its enclosing tile's occupancy (a tile of S
elements known to hold K non-zeros): fixed-structured then scales n x K / S; the
hypergeometric model draws the sub-tile from the S elements with K non-zeros.

Arithmetic is in IEEE doubles in Sparseloop's order, so counts agree to the unit: 230400
x 0.275 is 63360.00000000001 in doubles, and Sparseloop's tile may then hold 63361.
Pure functions; no state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MODELS = ("fixed_structured", "hypergeometric")
ALIASES = {"fixed": "fixed_structured", "uniform": "hypergeometric"}

Given = tuple[int, int] | None  # (elements of the enclosing tile, its non-zeros)


@dataclass(frozen=True)
class Density:
    """One tensor's density model; `size` is the whole tensor's element count."""

    model: str
    density: float
    size: int

    @property
    def nonzeros(self) -> int:
        """Non-zeros of the whole tensor (hypergeometric: ceil(d x N))."""
        return math.ceil(self.density * self.size)


def occupancy_distribution(dens: Density, n: int, given: Given = None) -> dict[int, float]:
    """P(k non-zeros) for a tile of `n` elements, over the k with non-zero probability."""
    if n == 0:
        return {0: 1.0}
    if dens.model == "fixed_structured":
        share = dens.density if given is None else given[1] / given[0]
        exact = n * share
        low = math.floor(exact)
        frac = exact - low
        if frac == 0:
            return {low: 1.0}
        return {low: 1.0 - frac, low + 1: frac}
    total, nonzeros = (dens.size, dens.nonzeros) if given is None else given
    lo, hi = max(0, n - (total - nonzeros)), min(n, nonzeros)
    if hi - lo <= 512:
        out = {k: _hyper(total, nonzeros, n, k) for k in range(lo, hi + 1)}
        return {k: p for k, p in out.items() if p > 0}
    # large tiles: walk out from the mode with the pmf's ratio until it is negligible
    mode = min(hi, max(lo, (n + 1) * (nonzeros + 1) // (total + 2)))
    out = {mode: _hyper(total, nonzeros, n, mode)}
    for step in (1, -1):
        k, p = mode, out[mode]
        while lo <= k + step <= hi and p > 1e-18:
            if step == 1:
                p *= (nonzeros - k) * (n - k) / ((k + 1) * (total - nonzeros - n + k + 1))
            else:
                p *= k * (total - nonzeros - n + k) / ((nonzeros - k + 1) * (n - k + 1))
            k += step
            out[k] = p
    return {k: out[k] for k in sorted(out) if out[k] > 0}


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _hyper(total: int, nonzeros: int, n: int, k: int) -> float:
    """P(k of the tile's n elements are among the tensor's non-zeros)."""
    if k < 0 or k > n or k > nonzeros or n - k > total - nonzeros:
        return 0.0
    if total <= 1024:
        return math.comb(nonzeros, k) * math.comb(total - nonzeros, n - k) / math.comb(total, n)
    log = _log_comb(nonzeros, k) + _log_comb(total - nonzeros, n - k) - _log_comb(total, n)
    return math.exp(log)


def prob_empty(dens: Density, n: int, given: Given = None) -> float:
    """Probability that a tile of `n` elements holds no non-zero."""
    if dens.model == "hypergeometric" and n:
        total, nonzeros = (dens.size, dens.nonzeros) if given is None else given
        return _hyper(total, nonzeros, n, 0)
    return occupancy_distribution(dens, n, given).get(0, 0.0)


def expected_occupancy(dens: Density, n: int, given: Given = None) -> float:
    return sum(k * p for k, p in occupancy_distribution(dens, n, given).items())


def max_occupancy(dens: Density, n: int) -> int:
    """The most non-zeros a tile of `n` can hold (Sparseloop's confidence 1.0; for
    fixed-structured, the floor unless 1 - frac(n x d) falls below 1)."""
    if dens.model == "fixed_structured":
        exact = n * dens.density
        low = math.floor(exact)
        return low if 1 - (exact - low) >= 1.0 else math.ceil(exact)
    return min(n, dens.nonzeros)
