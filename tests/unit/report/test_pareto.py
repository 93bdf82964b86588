"""The Pareto front holds exactly the points no other point dominates (both minimised),
checked against the definition applied pair by pair."""

import math

from hypothesis import given
from hypothesis import strategies as st

from soc.report.pareto import pareto_front


def brute_force(points):
    """The definition: i is kept unless some j is <= in both and < in one."""

    def dominates(a, b):
        return a[0] <= b[0] and a[1] <= b[1] and (a[0] < b[0] or a[1] < b[1])

    usable = [i for i, p in enumerate(points) if not any(math.isnan(v) for v in p)]
    return [i for i in usable if not any(dominates(points[j], points[i]) for j in usable)]


def test_a_hand_made_set_with_ties_and_duplicates():
    points = [
        (3.0, 1.0),  # 0: front (least y)
        (1.0, 5.0),  # 1: front (least x)
        (2.0, 2.0),  # 2: front
        (2.0, 2.0),  # 3: a duplicate of 2, also on the front
        (2.0, 3.0),  # 4: same x as 2, larger y: dominated by 2
        (3.0, 2.0),  # 5: dominated by 2 (x larger, y equal)
        (1.0, 6.0),  # 6: dominated by 1 (same x, larger y)
        (4.0, 4.0),  # 7: dominated by everything around it
        (float("nan"), 0.0),  # 8: missing energy: on no front
        (5.0, 1.0),  # 9: same y as 0, larger x: dominated by 0
    ]
    # worked out by hand from the comments above
    assert pareto_front(points) == [0, 1, 2, 3]
    assert brute_force(points) == [0, 1, 2, 3]


def test_edge_cases():
    assert pareto_front([]) == []
    assert pareto_front([(1.0, 1.0)]) == [0]
    assert pareto_front([(1.0, 1.0)] * 3) == [0, 1, 2]
    assert pareto_front([(float("nan"), 1.0)]) == []
    # a chain: each point better in x and worse in y than the next: all on the front
    assert pareto_front([(3.0, 1.0), (2.0, 2.0), (1.0, 3.0)]) == [0, 1, 2]
    # one point better in both than all others
    assert pareto_front([(5.0, 5.0), (0.0, 0.0), (1.0, 9.0), (9.0, 1.0)]) == [1]


small = st.integers(min_value=0, max_value=6).map(float)  # few values: many ties


@given(st.lists(st.tuples(small, small), max_size=40))
def test_agrees_with_the_definition(points):
    assert pareto_front(points) == brute_force(points)
