"""Plots drawn by the plotting child: the same files as drawn in this process, and
errors raised here."""

import os
import time

import pytest

from soc.report.plot_worker import FORKED_HALF, PLOT_FILES, PlotWorker, _draw_forked
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


def test_abort_stops_the_child(tmp_path):
    worker = PlotWorker()
    process = worker._process
    worker.abort()
    assert process.returncode is not None
    assert not (tmp_path / "plots").exists()


def test_the_plot_names_are_those_of_write_plots():
    from soc.report.plots import PLOTS

    assert tuple(PLOTS) == PLOT_FILES
    assert set(FORKED_HALF) < set(PLOT_FILES)


class _Recorder:
    """A stand-in for soc.report.plots: `write_plots` writes each file's drawing
    process id into it, and fails in a forked copy when told to."""

    def __init__(self, fail_in_copy=False):
        self.parent = os.getpid()
        self.fail_in_copy = fail_in_copy

    def write_plots(self, summary, out_dir, files):
        if self.fail_in_copy and os.getpid() != self.parent:
            raise RuntimeError("drawing failed")
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in files:
            (out_dir / name).write_text(str(os.getpid()))
        return [out_dir / name for name in files]


def test_half_of_the_plots_are_drawn_in_a_forked_copy(tmp_path):
    recorder = _Recorder()
    paths = _draw_forked(recorder, {}, tmp_path, PLOT_FILES)
    assert sorted(p.name for p in paths) == sorted(PLOT_FILES)
    drawn_by = {name: int((tmp_path / name).read_text()) for name in PLOT_FILES}
    here = {name for name, pid in drawn_by.items() if pid == os.getpid()}
    assert here == set(PLOT_FILES) - set(FORKED_HALF)
    assert len({drawn_by[name] for name in FORKED_HALF}) == 1  # one copy drew the rest


def test_a_half_the_copy_could_not_draw_is_drawn_here(tmp_path):
    paths = _draw_forked(_Recorder(fail_in_copy=True), {}, tmp_path, PLOT_FILES)
    assert sorted(p.name for p in paths) == sorted(PLOT_FILES)
    assert {int((tmp_path / name).read_text()) for name in PLOT_FILES} == {os.getpid()}


def test_abort_while_drawing_stops_the_forked_copy_too(tmp_path):
    """A run stopped while its plots are drawn gets no plot written after it stopped
    the child: the copy that draws half of them stops with it (its process group)."""
    worker = PlotWorker()
    time.sleep(2.0)  # matplotlib loaded: the child forks as soon as it has the summary
    worker.draw(summary(), tmp_path / "plots")
    time.sleep(0.3)  # both halves are being drawn (about 0.5 s each here)
    worker.abort()
    stopped = set((tmp_path / "plots").glob("*"))
    time.sleep(2.0)  # a surviving copy would have written its half by now
    assert set((tmp_path / "plots").glob("*")) == stopped
