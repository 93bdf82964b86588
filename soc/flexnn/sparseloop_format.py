"""Sparseloop's representation formats: which loops become the ranks of a tile's
fibertree, and how many metadata and payload words each rank holds.

A tile kept with formats [f_(R-1), ..., f_0] (outermost rank first) is a fibertree of R
ranks. Rank r has fibers of `fiber` coordinates, each coordinate an `element` sub-tile;
the top rank has one fiber covering the whole tile. With F the fibers of rank r (the
product of the fiber shapes above it, times the chance such a fiber is non-empty) and
nnz the non-empty coordinates of one fiber (fiber x P(element non-empty), rounded up):

========  ====================  ====================
format    metadata words        payload words
========  ====================  ====================
UOP       0                     F x (fiber + 1)   (offsets)
CP        F x nnz               F x nnz           (coordinates, pointers)
B         F x fiber             F x nnz           (bitmask)
RLE       F x nnz (not rounded) same              (run lengths)
UB        fibers x fiber        fibers x fiber    (every fiber, uncompressed)
========  ====================  ====================

A rank of one coordinate below the top is empty; the innermost non-empty rank's payload
is the data itself and counts zero. A tile known to hold k non-zeros of its S elements
asks the density model about sub-tiles *given* (S, k). Pure functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from soc.flexnn.sparseloop_density import Density, Given, prob_empty

COMPRESSED = frozenset({"cp", "b", "rle"})  # formats that drop empty coordinates


@dataclass(frozen=True)
class Rank:
    """One rank of a tile: its format, coordinates per fiber, elements per coordinate."""

    fmt: str
    fiber: int
    element: int


def _up(x: float) -> int:
    return math.ceil(x)


def rank_words(
    ranks: tuple[Rank, ...], dens: Density, shape: int, nonzeros: int
) -> list[tuple[float, float]]:
    """(metadata, payload) words per rank, outermost first, of a tile of `shape` elements
    holding `nonzeros` non-zeros."""
    given: Given = (shape, nonzeros)
    out: list[tuple[float, float]] = []
    fibers_above, current = 1, shape
    for index, rank in enumerate(ranks):
        if rank.fiber == 1 and index != 0:
            out.append((0.0, 0.0))
        else:
            fibers = fibers_above * (1 - prob_empty(dens, current, given))
            filled = 1 - prob_empty(dens, rank.element, given)
            # products in Sparseloop's order (doubles are not associative)
            if rank.fmt == "uop":
                words = (0.0, fibers * (rank.fiber + 1))
            elif rank.fmt == "cp":
                words = (_up(rank.fiber * filled) * fibers,) * 2
            elif rank.fmt == "b":
                words = (fibers * rank.fiber, fibers * _up(rank.fiber * filled))
            elif rank.fmt == "rle":
                words = (rank.fiber * filled * fibers,) * 2
            else:  # "ub"
                words = (float(fibers_above * rank.fiber),) * 2
            out.append(words)
        fibers_above *= rank.fiber
        current = rank.element
    for index in range(len(out) - 1, -1, -1):
        if out[index] != (0.0, 0.0):
            out[index] = (out[index][0], 0.0)
            break
    return out


def expected_rank_words(
    ranks: tuple[Rank, ...], dens: Density, shape: int, distribution: dict[int, float]
) -> list[tuple[float, float]]:
    """`rank_words` averaged over the tile's occupancy distribution."""
    total = [(0.0, 0.0)] * len(ranks)
    for k, p in distribution.items():
        words = rank_words(ranks, dens, shape, k)
        total = [(a + p * m, b + p * q) for (a, b), (m, q) in zip(total, words, strict=True)]
    return total


def scaled_words(words: list[tuple[float, float]], count: int, shape: int) -> list[tuple[int, int]]:
    """Words moved by `count` scalar accesses to a tile of `shape`: each rank's words
    times count / shape, rounded up."""
    ratio = count / shape if shape else 0.0
    return [(_up(m * ratio), _up(p * ratio)) for m, p in words]
