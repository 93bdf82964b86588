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


def test_laying_out_before_saving_gives_the_bytes_savefig_gives(tmp_path):
    """`_save` lays the figure out once itself instead of letting savefig draw it an
    extra time for that; the PNG is the same, byte for byte."""
    from matplotlib.figure import Figure

    from soc.report.plots import _figure, _save

    def draw(fig):
        ax = fig.add_subplot()
        ax.bar(["conv1", "conv2", "fc"], [3.0, 1.5, 0.25], label="compute")
        ax.set_ylabel("µs per frame")
        ax.tick_params(axis="x", labelrotation=90)
        ax.legend(fontsize="small")
        return fig

    plain = draw(Figure(figsize=(6, 4), dpi=100, layout="constrained"))
    plain.savefig(tmp_path / "savefig.png", dpi=100)
    _save(draw(_figure(6, 4)), tmp_path / "save.png")
    assert (tmp_path / "save.png").read_bytes() == (tmp_path / "savefig.png").read_bytes()
