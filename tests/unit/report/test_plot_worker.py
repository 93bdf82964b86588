"""Plots drawn by the plotting child: the same files as drawn in this process, and
errors raised here."""

import pytest

from soc.report.plot_worker import PlotWorker
from soc.report.plots import write_plots
from tests.unit.report.test_plots import summary


def test_child_draws_the_files_write_plots_draws(tmp_path):
    here = write_plots(summary(), tmp_path / "here")
    worker = PlotWorker()
    worker.draw(summary(), tmp_path / "there")
    there = worker.finish()
    assert [p.name for p in there] == [p.name for p in here]
    assert [p.parent for p in there] == [tmp_path / "there"] * 4
    for a, b in zip(here, there, strict=True):
        assert a.read_bytes() == b.read_bytes()  # same code, same summary: same PNG


def test_a_summary_the_child_cannot_draw_raises_here(tmp_path):
    bad = summary()
    del bad["energy"]
    worker = PlotWorker()
    worker.draw(bad, tmp_path / "plots")
    with pytest.raises(KeyError, match="energy"):
        worker.finish()


def test_abort_stops_the_children(tmp_path):
    worker = PlotWorker(shares=[("layers.png", "dram_bandwidth.png"), ("energy.png", "power.png")])
    processes = [process for _, process in worker._children]
    worker.abort()
    assert len(processes) == 2
    assert all(process.returncode is not None for process in processes)
    assert not (tmp_path / "plots").exists()


def test_shares_name_every_plot_once():
    from soc.report.plot_worker import PLOT_FILES, SHARES
    from soc.report.plots import PLOTS

    assert tuple(PLOTS) == PLOT_FILES
    assert sorted(name for share in SHARES for name in share) == sorted(PLOTS)


def test_two_children_share_the_plots(tmp_path):
    here = write_plots(summary(), tmp_path / "here")
    worker = PlotWorker(shares=[("power.png", "layers.png"), ("energy.png", "dram_bandwidth.png")])
    worker.draw(summary(), tmp_path / "plots")
    paths = worker.finish()
    assert [p.name for p in paths] == [
        "layers.png",
        "energy.png",
        "dram_bandwidth.png",
        "power.png",
    ]
    for a, b in zip(here, paths, strict=True):
        assert a.read_bytes() == b.read_bytes()
