"""Output paths that could harm a user's files: each case runs `soc` in a temporary
folder full of sentinel files, and every sentinel must survive.

A refused target is one line on stderr and exit 2; an interrupted run is one line and
exit 128 + the signal's number (SIGINT 130, SIGTERM 143), with no folder left behind.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import QUICKSTART, ROOT, soc

BASE = ROOT / "scenarios" / "soc" / "edge_npu.yaml"
# The quickstart without plots or traces: a run of a few seconds.
FAST = [
    "--set",
    "run.plots=false",
    "--set",
    "run.chrome_trace=false",
    "--set",
    "run.native_trace=false",
]


def scenario_named(folder: Path, name: str) -> Path:
    text = QUICKSTART.read_text().replace("soc/edge_npu.yaml", str(BASE))
    path = folder / "scenario.yaml"
    path.write_text(text.replace("name: quickstart", f"name: {name!r}"))
    return path


@pytest.fixture
def home(tmp_path) -> Path:
    """A working folder with files and folders a user cares about."""
    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / "runs" / "earlier").mkdir(parents=True)
    (tmp_path / "runs" / "earlier" / "result.csv").write_text("1,2\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "weights.npz").write_bytes(b"\x00\x01")
    return tmp_path


def sentinels(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and "scenario.yaml" not in p.name
        and ".flexsoc-run" not in p.parts
        and not p.is_relative_to(folder / "runs" / "ok")
    }


def assert_refused(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["..", ".", ".hidden", "a/b", "../up", "x" * 101])
def test_unsafe_scenario_name_is_refused_before_anything_is_written(home, name):
    path = scenario_named(home, name)
    before = sentinels(home)
    result = soc("run", str(path), *FAST, cwd=home)
    assert_refused(result, "is not a safe run folder name")
    assert sentinels(home) == before
    assert sorted(p.name for p in home.iterdir()) == ["data", "notes.txt", "runs", "scenario.yaml"]


@pytest.mark.parametrize(
    ("out", "fragment"),
    [
        (".", "is the current folder or holds it"),
        ("..", "is the current folder or holds it"),
        ("data", "exists and is not a flexsoc run folder"),
        ("runs", "exists and is not a flexsoc run folder"),
        ("runs/earlier", "exists and is not a flexsoc run folder"),
        ("notes.txt", "exists and is not a folder"),
        ("notes.txt/run", "is not a folder"),
        ("/", "cannot be the file-system root"),
    ],
)
def test_out_that_would_replace_a_users_folder_is_refused(home, out, fragment):
    path = scenario_named(home, "ok")
    before = sentinels(home)
    result = soc("run", str(path), *FAST, "--out", out, cwd=home)
    assert_refused(result, fragment)
    assert sentinels(home) == before
    assert not any(p.name.endswith(".partial") for p in home.rglob(".*"))


def test_out_a_symbolic_link_is_refused(home):
    (home / "link").symlink_to(home / "data")
    result = soc("run", str(scenario_named(home, "ok")), *FAST, "--out", "link", cwd=home)
    assert_refused(result, "is a symbolic link")
    assert (home / "data" / "weights.npz").read_bytes() == b"\x00\x01"


def test_overwrite_never_replaces_a_folder_without_the_run_marker(home):
    path = scenario_named(home, "ok")
    result = soc("run", str(path), *FAST, "--out", "data", "--overwrite", cwd=home)
    assert_refused(result, "exists and is not a flexsoc run folder")
    assert (home / "data" / "weights.npz").exists()


def test_run_folders_are_replaced_only_when_the_user_asked(home):
    path = scenario_named(home, "ok")
    before = sentinels(home)
    first = soc("run", str(path), *FAST, cwd=home)
    assert first.returncode == 0, first.stderr
    run = home / "runs" / "ok"
    assert (run / ".flexsoc-run").is_file() and (run / "summary.json").is_file()

    # The default runs/<name>/ of the same scenario file is its own to replace.
    (run / "summary.json").write_text("stale")
    again = soc("run", str(path), *FAST, cwd=home)
    assert again.returncode == 0, again.stderr
    assert (run / "summary.json").read_text() != "stale"

    # Another scenario file with the same name does not replace it without --overwrite.
    other = home / "other"
    other.mkdir()
    other_path = scenario_named(other, "ok")
    clash = soc("run", str(other_path), *FAST, cwd=home)
    assert_refused(clash, f"runs/ok: holds a run of {path}")
    forced = soc("run", str(other_path), *FAST, "--overwrite", cwd=home)
    assert forced.returncode == 0, forced.stderr
    assert str(other_path) in (run / ".flexsoc-run").read_text()

    # A run folder named with --out is replaced only with --overwrite.
    named = soc("run", str(path), *FAST, "--out", "runs/ok", cwd=home)
    assert_refused(named, "pass --overwrite to replace it")
    assert sentinels(home) == before
    assert not any(p.name.endswith((".partial", ".old")) for p in home.rglob(".*"))


def test_an_empty_folder_is_filled(home):
    (home / "empty").mkdir()
    result = soc("run", str(scenario_named(home, "ok")), *FAST, "--out", "empty", cwd=home)
    assert result.returncode == 0, result.stderr
    assert (home / "empty" / "summary.json").is_file()


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_leaves_nothing_behind(home, signum, code):
    path = scenario_named(home, "ok")
    before = sentinels(home)
    proc = subprocess.Popen(
        [sys.executable, "-m", "soc", "run", str(path), "--out", "out"],
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".partial") for p in home.glob(".out.*")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never started writing"
        time.sleep(0.02)
    time.sleep(0.3)  # inside the simulation
    os.kill(proc.pid, signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert stderr == f"error: interrupted by {signal.Signals(signum).name}; no output was written\n"
    assert not (home / "out").exists()
    assert [p.name for p in home.glob(".*")] == []
    assert sentinels(home) == before


def test_map_csv_never_replaces_a_file_without_overwrite(home):
    path = scenario_named(home, "ok")
    refused = soc("map", str(path), "--csv", "notes.txt", cwd=home)
    assert_refused(refused, "notes.txt: exists; pass --overwrite to replace it")
    assert (home / "notes.txt").read_text() == "mine\n"
    written = soc("map", str(path), "--csv", "notes.txt", "--overwrite", cwd=home)
    assert written.returncode == 0, written.stderr
    assert (home / "notes.txt").read_text().startswith("layer,op,macs,")
