"""The Pareto front of points that minimise two objectives (energy and latency, say).

A point dominates another when it is no worse in both objectives and strictly better in
at least one. The front is the set of points that no other point dominates: equal points
do not dominate each other, so duplicates on the front are all kept. A point with a
missing (NaN) objective is on no front and dominates nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import groupby


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indexes (ascending) of the non-dominated points of `points`, both coordinates
    minimised. Sorted by the first coordinate, then the second, a point is dominated
    exactly when an earlier point with a smaller first coordinate has a second no
    larger, or an earlier point with the same first coordinate has a smaller second:
    one pass keeps the best second coordinate seen before the current first value."""
    valid = [i for i, (x, y) in enumerate(points) if not (math.isnan(x) or math.isnan(y))]
    ordered = sorted(valid, key=lambda i: (points[i][0], points[i][1]))
    front: list[int] = []
    best_before = math.inf  # the least y among points of a strictly smaller x
    for _, same_x in groupby(ordered, key=lambda i: points[i][0]):
        group = list(same_x)  # sorted by y
        least = points[group[0]][1]
        if least < best_before:  # the group's least y is undominated, and so are its ties
            front += [i for i in group if points[i][1] == least]
        best_before = min(best_before, least)
    return sorted(front)
