"""`soc report`: one self-contained HTML file for a run, several runs, or a sweep; no URL
in it, every figure a PNG with something drawn, sections without data left as a note,
the Pareto section listing exactly the non-dominated points, and no file written or
replaced on a mistake."""

import base64
import io
import json
import re
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from matplotlib import image

from soc.errors import OutputError
from soc.report.build import build_report
from soc.report.run_data import busy_until, engine_occupancy

from .conftest import soc

PNG_URI = "data:image/png;base64,"


def assert_offline(text):
    """Nothing in the page is fetched: no URL, no script or stylesheet from anywhere,
    no CSS url(), every src an embedded PNG and every href an anchor in the page."""
    for forbidden in ("http://", "https://", "//cdn", "url(", "<script", "<link", "@import"):
        assert forbidden not in text, forbidden
    assert all(src.startswith(PNG_URI) for src in re.findall(r'src="([^"]*)"', text))
    assert all(href.startswith("#") for href in re.findall(r'href="([^"]*)"', text))


def images(text):
    """Every <img>'s decoded PNG, as pixel arrays."""
    sources = re.findall(r"<img [^>]*src=\"([^\"]*)\"", text)
    assert len(sources) == text.count("<img ")
    decoded = []
    for src in sources:
        assert src.startswith(PNG_URI) and len(src) > len(PNG_URI)
        data = base64.b64decode(src[len(PNG_URI) :], validate=True)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        decoded.append(image.imread(io.BytesIO(data), format="png"))
    return decoded


def assert_every_image_has_content(text):
    for pixels in images(text):
        assert (pixels != pixels[0, 0]).any(), "more than one colour"


def assert_toc_resolves(text):
    targets = re.findall(r'href="#([^"]*)"', text)
    ids = re.findall(r'id="([^"]*)"', text)
    assert len(ids) == len(set(ids)), "anchors are unique"
    assert targets and set(targets) <= set(ids)


def section(text, anchor):
    """The HTML from the heading with id `anchor` to the next heading of level 2."""
    start = text.index(f'id="{anchor}"')
    end = text.find("<h2", start)
    return text[start : end if end >= 0 else len(text)]


def test_a_run_report(quickstart_run, tmp_path):
    out = tmp_path / "quickstart.html"
    result = soc("report", str(quickstart_run), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["quickstart.html"]
    text = out.read_text(encoding="utf-8")
    assert_offline(text)
    assert_toc_resolves(text)
    assert_every_image_has_content(text)
    assert "<table>" in section(text, "summary-tables")
    for anchor in ("layer-time", "layer-energy", "dram-bandwidth-per-master",
                   "engine-occupancy", "frame-latency", "power"):  # fmt: skip
        assert '<img alt="' in section(text, anchor), anchor
    summary = json.loads((quickstart_run / "summary.json").read_text())
    tables = section(text, "summary-tables")
    # the tables soc run prints: every layer and every DRAM master has its row
    for name in [row["layer"] for row in summary["layers"]] + list(summary["dram"]["by_master"]):
        assert f"<td>{name}</td>" in tables
    # the phases the quickstart traces (trace_level: request includes phases)
    assert "The trace holds whole layers only" not in text


def no_data_copy(quickstart_run, folder):
    """The quickstart run as if it had no frames, no DRAM masters and no trace."""
    shutil.copytree(quickstart_run, folder)
    summary = json.loads((folder / "summary.json").read_text())
    summary["frames"] = []
    for row in summary["pipelines"].values():
        row["frames"] = 0
    summary["dram"]["bandwidth_over_time"]["bytes_per_s"] = {}
    (folder / "summary.json").write_text(json.dumps(summary))
    shutil.rmtree(folder / "trace")
    return folder


def test_several_runs_side_by_side_and_sections_without_data(quickstart_run, tmp_path):
    bare = no_data_copy(quickstart_run, tmp_path / "bare")
    text = build_report([quickstart_run, bare])
    assert_offline(text)
    assert_toc_resolves(text)
    assert_every_image_has_content(text)
    metrics = section(text, "key-metrics")
    header = re.search(r"<thead>(.*?)</thead>", metrics).group(1)
    assert header.count("<th>") == 3  # the metric, then one column per run
    assert metrics.count("<td>frames</td>") == 1
    # the bare run's own sections: notes, no empty figure
    bare_part = text[text.index('id="run-quickstart-') + 1 :]
    bare_part = bare_part[bare_part.index('id="run-quickstart-') :]  # the second run
    for missing in ("No DRAM traffic from any master.", "No frame completed in this run.",
                    "No engine spans"):  # fmt: skip
        assert missing in bare_part
    assert bare_part.count("<img ") == 3  # layer time, layer energy, power
    assert text.count("<img ") == 6 + 3 + 4  # first run, bare run, 4 comparisons (not DRAM)


def pareto_expected(points):
    """Indexes not dominated (both minimised), by the definition, pair by pair."""
    return {
        i
        for i, (x, y) in enumerate(points)
        if not any(
            a <= x and b <= y and (a < x or b < y) for j, (a, b) in enumerate(points) if j != i
        )
    }


# (latency p99 ps, energy per frame pJ): ties, a duplicate on the front, dominated points
POINTS = [(10, 50), (20, 30), (20, 30), (30, 10), (20, 40), (40, 10), (15, 60), (35, 35),
          (10, 55), (50, 5)]  # fmt: skip
FRONT_BY_HAND = {0, 1, 2, 3, 9}


def synthetic_sweep(folder):
    """A results table as `soc sweep` writes it (soc/sweeps docstring), with one point
    that failed."""
    folder.mkdir()
    n = len(POINTS)
    arbitration = ["fcfs", "priority"] * (n // 2)
    lanes = [4, 4, 8, 8, 16, 16, 4, 8, 16, 4]
    columns = {
        "point": list(range(n + 1)),
        "key": [f"{k:016x}" for k in range(n + 1)],
        "status": ["ok"] * n + ["failed"],
        "error": [None] * n + ["points/x/scenario.yaml: soc.dram: unknown preset"],
        "run_folder": [f"points/{k:016x}" for k in range(n + 1)],
        "wall_s": [1.0 + k for k in range(n + 1)],
        "reused": [False] * (n + 1),
        "set.soc.dram.arbitration": [*arbitration, "weighted"],
        "set.soc.flexnn.lanes": [*lanes, 32],
        "frames": [3] * n + [None],
        "frame_latency_p50_ps": [x * 0.9 for x, _ in POINTS] + [None],
        "frame_latency_p99_ps": [float(x) for x, _ in POINTS] + [None],
        "deadline_misses": [k % 3 for k in range(n)] + [None],
        "energy_per_frame_pj": [float(y) for _, y in POINTS] + [None],
        "energy.dram_pj": [y * 0.4 for _, y in POINTS] + [None],
        "display_underflows": [k % 2 for k in range(n)] + [None],
        "dram.display.latency_p99_ps": [5.0 * k for k in range(n)] + [None],
        "pipeline.main.energy_per_frame_pj": [y * 0.5 for _, y in POINTS] + [None],
    }
    pq.write_table(pa.table(columns), folder / "results.parquet")
    return folder


def test_a_sweep_report(tmp_path):
    assert pareto_expected(POINTS) == FRONT_BY_HAND
    sweep = synthetic_sweep(tmp_path / "sweep")
    result = soc("report", str(sweep))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in sweep.iterdir()) == ["report.html", "results.parquet"]
    text = (sweep / "report.html").read_text(encoding="utf-8")
    assert_offline(text)
    assert_toc_resolves(text)
    assert_every_image_has_content(text)
    for parameter in ("soc-dram-arbitration", "soc-flexnn-lanes"):
        assert section(text, f"against-{parameter}").count("<img ") == 1
    pareto = section(text, "pareto-front")
    listed = {int(p) for p in re.findall(r'data-point="(\d+)"', pareto)}
    assert listed == FRONT_BY_HAND
    assert pareto.count('<circle class="front"') == len(FRONT_BY_HAND)
    assert pareto.count('<circle class="other"') == len(POINTS) - len(FRONT_BY_HAND)
    # each point's overrides on hover: its circle's <title>
    hovers = re.findall(r"<title>(point \d+: [^<]*)</title>", pareto)
    assert len(hovers) == len(POINTS)
    assert "point 3: soc.dram.arbitration=priority, soc.flexnn.lanes=8" in " ".join(hovers)
    # the failed point is listed with its error, outside the front
    assert "unknown preset" in section(text, "points") and 10 not in listed


def test_wrong_input_writes_nothing(quickstart_run, tmp_path):
    neither = tmp_path / "neither"
    neither.mkdir()
    for folder in (tmp_path / "missing", neither):
        out = tmp_path / "r.html"
        result = soc("report", str(folder), "--out", str(out))
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and str(folder) in result.stderr
        assert not out.exists()
    assert list(neither.iterdir()) == []


def test_a_file_not_ours_is_never_replaced(quickstart_run, tmp_path):
    theirs = tmp_path / "notes.html"
    theirs.write_text("my notes")
    for extra in ([], ["--overwrite"]):
        result = soc("report", str(quickstart_run), "--out", str(theirs), *extra)
        assert result.returncode == 2 and result.stderr.count("\n") == 1
        assert theirs.read_text() == "my notes"


def test_a_report_of_ours_is_replaced_only_with_overwrite(tmp_path):
    sweep = tmp_path / "sweep"  # a sweep of two points and no metric: a report without plots
    sweep.mkdir()
    pq.write_table(pa.table({"point": [0, 1], "status": ["ok", "ok"]}), sweep / "results.parquet")
    assert soc("report", str(sweep)).returncode == 0
    report = sweep / "report.html"
    report.write_text(report.read_text().replace("</body>", "<p>old</p></body>"))
    assert soc("report", str(sweep)).returncode == 2
    assert "<p>old</p>" in report.read_text()
    assert soc("report", str(sweep), "--overwrite").returncode == 0
    assert "<p>old</p>" not in report.read_text() and "2 point(s)" in report.read_text()


def test_busy_time_before_each_instant_by_hand():
    # spans [0, 10) and [5, 7): at 6, 6 + 1; at 8, 8 + 2; at 20, 10 + 2
    got = busy_until(np.array([0, 5]), np.array([10, 7]), np.array([0.0, 3, 6, 8, 20]))
    assert got.tolist() == [0, 3, 7, 10, 12]


def test_occupancy_keeps_every_phase_span_time(quickstart_run):
    """Busy fraction x window, summed over windows, is each phase's total span time."""
    summary = json.loads((quickstart_run / "summary.json").read_text())
    occupancy = engine_occupancy(quickstart_run, summary["total_ps"])
    assert occupancy.level == "phase"
    spans = pq.read_table(quickstart_run / "trace" / "spans.parquet").to_pylist()
    compute = sum(s["end_ps"] - s["start_ps"] for s in spans if s["kind"] == "compute")
    assert compute > 0
    busy = sum(occupancy.series["npu compute"]) * occupancy.window_ps
    assert busy == pytest.approx(compute, rel=1e-9)


def test_a_summary_the_report_cannot_read_is_one_error(tmp_path):
    (tmp_path / "summary.json").write_text('{"scenario": "x", "total_ps": 1}')
    with pytest.raises(OutputError, match=r"summary.json: not a summary of soc run \(no 'frames'"):
        build_report([tmp_path])
    (tmp_path / "summary.json").write_text("{")
    with pytest.raises(OutputError, match="summary.json: not JSON"):
        build_report([tmp_path])


def test_a_camera_pipeline_run_report(tmp_path):
    """MobileNetV2 beside a camera and a display (one frame; traced by layer)."""
    run = tmp_path / "camera"
    result = soc(
        "run", "scenarios/mobilenetv2_camera_30fps.yaml", "--out", str(run),
        "--set", "pipelines[0].frames=1", "--set", "run.plots=false",
        "--set", "run.chrome_trace=false", "--set", "run.perfetto_trace=false",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert soc("report", str(run)).returncode == 0
    assert sorted(p.name for p in run.glob("*.html")) == ["report.html"]
    text = (run / "report.html").read_text(encoding="utf-8")
    assert_offline(text)
    assert_toc_resolves(text)
    assert_every_image_has_content(text)
    assert text.count("<img ") == 6  # every section has its figure
    bandwidth = section(text, "dram-bandwidth-per-master")
    assert "<img " in bandwidth
    summary = json.loads((run / "summary.json").read_text())
    assert {"camera", "display"} <= set(summary["dram"]["bandwidth_over_time"]["bytes_per_s"])
    assert "The trace holds whole layers only" in section(text, "engine-occupancy")


def test_an_incomplete_run_is_labelled_so(quickstart_run, tmp_path):
    """A run a bound stopped (as `soc run --max-sim` writes it) is named incomplete in the
    report, and its summary section carries the line `soc run` prints."""
    from soc.report.run_report import load_runs

    cut = tmp_path / "cut"
    shutil.copytree(quickstart_run, cut)
    summary = json.loads((cut / "summary.json").read_text())
    summary["complete"] = False
    summary["stopped"] = {"reason": "max_sim", "at_ps": 2_000_000_000}
    (cut / "summary.json").write_text(json.dumps(summary))
    labels = [run.label for run in load_runs([quickstart_run, cut])]
    assert labels == [f"quickstart ({quickstart_run})", f"quickstart ({cut}) [incomplete]"]
    text = build_report([cut])
    assert "INCOMPLETE: stopped by --max-sim at 2.000 ms simulated" in text
