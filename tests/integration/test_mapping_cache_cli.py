"""`--no-cache` on `soc map`, `soc validate` and `soc run`: nothing read, nothing written;
without it the mappings land in $FLEXSOC_CACHE_DIR and a second `soc map` prints the
same table from them."""

import pytest

from .conftest import QUICKSTART, soc


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FLEXSOC_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def entries(cache):
    return sorted(cache.rglob("*.json"))


def test_map_fills_the_cache_and_reads_it_back(cache):
    first = soc("map", "edge_cnn")
    assert first.returncode == 0, first.stderr
    assert len(entries(cache)) == 5
    stamps = [p.stat().st_mtime_ns for p in entries(cache)]
    second = soc("map", "edge_cnn")
    assert second.returncode == 0, second.stderr
    assert [p.stat().st_mtime_ns for p in entries(cache)] == stamps  # read, not rewritten
    table = [line for line in first.stdout.splitlines() if "mapped in" not in line]
    assert [line for line in second.stdout.splitlines() if "mapped in" not in line] == table


@pytest.mark.parametrize(
    "args",
    [
        ("map", "edge_cnn", "--no-cache"),
        ("validate", str(QUICKSTART), "--no-cache"),
        ("validate", str(QUICKSTART), "--set", "run.mapping_cache=false"),
    ],
    ids=["map", "validate", "scenario-key"],
)
def test_no_cache_writes_nothing(cache, args):
    result = soc(*args)
    assert result.returncode == 0, result.stderr
    assert not cache.exists()


def test_run_no_cache_writes_nothing(cache, tmp_path):
    result = soc("run", str(QUICKSTART), "--out", str(tmp_path / "out"), "--no-cache")
    assert result.returncode == 0, result.stderr
    assert not cache.exists()
    assert (tmp_path / "out" / "summary.json").exists()


def test_a_cache_folder_that_cannot_be_written_is_skipped_quietly(tmp_path, monkeypatch):
    """$FLEXSOC_CACHE_DIR names a file: every entry is a miss that cannot be stored; the
    commands still succeed and print nothing on stderr (the skipped writes are debug
    lines, shown only with logging configured, as by soc run -v)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    monkeypatch.setenv("FLEXSOC_CACHE_DIR", str(blocker))
    for args in (("validate", str(QUICKSTART)), ("map", "edge_cnn")):
        result = soc(*args)
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", (args, result.stderr)
    assert blocker.read_text() == "not a folder\n"
