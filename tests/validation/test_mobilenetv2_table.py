"""bench/mobilenetv2.yaml (zoo:mobilenetv2) against MobileNetV2 1.0 / 224 as published.

Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks" (CVPR 2018):
Table 2 gives the layers as rows (t, c, n, s); Table 4 and the TF-slim model table give
300 M multiply-adds and 3.47 M parameters for the 1.0 / 224 network.
"""

from pathlib import Path

import pytest

from soc.config import load_scenario
from soc.workloads import load_workload

SCENARIO = Path(__file__).resolve().parents[2] / "bench" / "mobilenetv2.yaml"
BOTTLENECKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
               (6, 160, 3, 2), (6, 320, 1, 1)]  # fmt: skip


def _table_counts() -> tuple[int, int, int]:
    """Layers, MACs and weights of the network, counted from Table 2 alone."""
    size, channels = 112, 32
    layers, macs, weights = 1, 112 * 112 * 32 * 3 * 9, 32 * 3 * 9  # 3x3/2 conv to 32
    for t, c, n, s in BOTTLENECKS:
        for i in range(n):
            hidden, out = channels * t, size // (s if i == 0 else 1)
            if t != 1:  # 1x1 expansion
                layers += 1
                macs += size**2 * channels * hidden
                weights += channels * hidden
            layers += 2  # 3x3 depthwise, 1x1 projection
            macs += out**2 * hidden * 9 + out**2 * hidden * c
            weights += hidden * 9 + hidden * c
            size, channels = out, c
    layers += 2  # 1x1 to 1280, classifier
    macs += size**2 * channels * 1280 + 1280 * 1000
    weights += channels * 1280 + 1280 * 1000
    return layers, macs, weights


def test_layers_follow_the_architecture_table():
    layers = load_workload(load_scenario(SCENARIO).workload)
    assert (len(layers), sum(x.macs for x in layers), sum(x.weight_elements for x in layers)) == (
        _table_counts()
    )
    assert [x.op for x in layers].count("dwconv") == 17
    assert layers[-1].op == "fc" and (layers[-1].c, layers[-1].k) == (1280, 1000)


def test_totals_match_the_published_figures():
    layers = load_workload(load_scenario(SCENARIO).workload)
    assert len(layers) == 53
    assert sum(x.macs for x in layers) == pytest.approx(300e6, rel=0.01)
    assert sum(x.weight_elements for x in layers) == pytest.approx(3.47e6, rel=0.01)
