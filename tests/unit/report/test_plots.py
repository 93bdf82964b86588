"""Plot data by hand, and drawing from a minimal summary."""

import pytest

from soc.report.plots import layer_time_parts, write_plots


def summary():
    return {
        "scenario": "t",
        "layers": [
            # 10 us: 4 compute, 3 waiting for the DMA, 1 for the load path, 2 the rest
            {
                "layer": "a",
                "elapsed_ps": 10_000_000,
                "compute_ps": 4_000_000,
                "stall_ps": {"dma-bound": 3_000_000, "load-bound": 1_000_000},
            },
            {"layer": "b", "elapsed_ps": 2_000_000, "compute_ps": 2_000_000, "stall_ps": {}},
        ],
        "energy": {
            "by_layer": {"a": {"by_component": {"npu": 5e6, "dram": 1e6}}},
            "power_over_time": {"window_ps": 1_000_000, "watts": {"npu": [0.1, 0.2]}},
        },
        "dram": {"bandwidth_over_time": {"window_ps": 1_000_000, "bytes_per_s": {}}},
    }


def test_layer_time_splits_into_compute_stalls_and_the_rest():
    names, parts = layer_time_parts(summary())
    assert names == ["a", "b"]
    assert parts == {
        "compute": pytest.approx([4.0, 2.0]),
        "stall: dma-bound": pytest.approx([3.0, 0.0]),
        "stall: load-bound": pytest.approx([1.0, 0.0]),
        "other": pytest.approx([2.0, 0.0]),
    }


def test_every_plot_is_drawn_even_without_dram_traffic(tmp_path):
    paths = write_plots(summary(), tmp_path / "plots")
    names = [p.name for p in paths]
    assert names == ["layers.png", "energy.png", "dram_bandwidth.png", "power.png"]
    for path in paths:
        assert path.read_bytes()[:4] == b"\x89PNG"


def bar_extents(collection):
    """Per bar of a stacked series: (left, right, bottom, top), from its drawn path,
    rounded to 9 decimals."""
    boxes = []
    for path in collection.get_paths():
        xs, ys = path.vertices[:, 0], path.vertices[:, 1]
        boxes.append(tuple(round(float(v), 9) for v in (xs.min(), xs.max(), ys.min(), ys.max())))
    return boxes


def test_each_series_is_stacked_on_the_ones_before_it():
    from soc.report.plots import _bar_figure

    parts = {
        "compute": [4.0, 2.0, 1.0],
        "stall: dma-bound": [3.0, 0.0, 0.5],
        "stall: drain-bound": [0.0, 0.0, 0.0],  # zero everywhere: not drawn, not listed
        "other": [2.0, 1.0, 0.25],
    }
    fig = _bar_figure(["conv1", "conv2", "fc"], parts, "µs per frame", "t: layer time")
    ax = fig.axes[0]
    series = {c.get_label(): bar_extents(c) for c in ax.collections}
    # bars 0.8 wide around 0, 1, 2; each series from where the previous one ended
    assert series == {
        "compute": [(-0.4, 0.4, 0, 4), (0.6, 1.4, 0, 2), (1.6, 2.4, 0, 1)],
        "stall: dma-bound": [(-0.4, 0.4, 4, 7), (0.6, 1.4, 2, 2), (1.6, 2.4, 1, 1.5)],
        "other": [(-0.4, 0.4, 7, 9), (0.6, 1.4, 2, 3), (1.6, 2.4, 1.5, 1.75)],
    }
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "compute",
        "stall: dma-bound",
        "other",
    ]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["conv1", "conv2", "fc"]
    assert list(ax.get_xticks()) == [0, 1, 2]
    assert ax.get_ylabel() == "µs per frame"
    assert ax.get_title() == "t: layer time"
    assert ax.get_ylim()[0] == 0  # bars stand on the axis, as `ax.bar` draws them
    colors = [tuple(c.get_facecolor()[0]) for c in ax.collections]
    assert len(set(colors)) == 3


def test_the_layout_keeps_long_rotated_names_and_the_legend_inside_the_figure():
    from soc.report.plots import _bar_figure, _fit_axes

    names = [f"layer{k}.0.downsample.conv_{k}" for k in range(20)]
    parts = {"npu": [float(k) for k in range(20)], "dram": [2.0] * 20}
    fig = _bar_figure(names, parts, "µJ per frame", "t: layer energy")
    _fit_axes(fig)
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    drawn = ax.get_tightbbox(renderer)  # the axes with its tick labels, title and legend
    assert drawn.x0 >= 0 and drawn.y0 >= 0
    assert drawn.x1 <= fig.bbox.width and drawn.y1 <= fig.bbox.height
    labels = [t.get_window_extent(renderer) for t in ax.get_xticklabels()]
    assert min(b.y0 for b in labels) >= 0  # the longest name is not cut off at the bottom
    assert ax.get_legend().get_window_extent(renderer).x0 >= ax.bbox.x1  # beside the bars
