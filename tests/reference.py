"""Reference figures that tests compute apart from the simulator's code."""


def nearest_rank(values) -> dict[str, object]:
    """What a summary reports of a distribution, from the plain sorted list: count, mean,
    the nearest-rank p50 (the lower middle one) and p99 (the ceil(0.99 n)-th), max."""
    ordered = sorted(values)
    n = len(ordered)
    return {
        "count": n,
        "mean": sum(ordered) / n,
        "p50": ordered[(n - 1) // 2],
        "p99": ordered[-(-99 * n // 100) - 1],
        "max": ordered[-1],
    }
