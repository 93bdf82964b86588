"""Where a run may write: only new paths, empty folders, or run folders of ours."""

import pytest

from soc.errors import OutputError
from soc.runner.outputs import (
    MARKER,
    RunOrigin,
    check_target,
    discard,
    publish,
    read_marker,
    staging_folder,
    write_file,
)

ORIGIN = RunOrigin("demo", "/scenarios/demo.yaml")


def run_folder(path, origin=ORIGIN):
    path.mkdir(parents=True)
    (path / MARKER).write_text(origin.marker_text())
    (path / "summary.json").write_text("{}")
    return path


def test_new_and_empty_targets_are_safe(tmp_path):
    check_target(tmp_path / "a" / "b", ORIGIN, overwrite=False, default=False)
    (tmp_path / "empty").mkdir()
    check_target(tmp_path / "empty", ORIGIN, overwrite=False, default=False)


@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("default", [False, True])
def test_a_folder_without_the_marker_is_never_safe(tmp_path, overwrite, default):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "x").write_text("x")
    with pytest.raises(OutputError, match="is not a flexsoc run folder"):
        check_target(tmp_path / "mine", ORIGIN, overwrite=overwrite, default=default)


def test_a_forged_or_unreadable_marker_is_no_marker(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / MARKER).write_text("not json")
    assert read_marker(folder) is None
    (folder / MARKER).write_text("[" * 100_000 + "]" * 100_000)  # deeper than json can go
    assert read_marker(folder) is None
    name = "x" * 70_000  # a marker over 64 KiB is no marker of ours
    (folder / MARKER).write_text(RunOrigin(name, "/s.yaml").marker_text())
    assert read_marker(folder) is None
    (folder / MARKER).write_text(RunOrigin("x" * 60_000, "/s.yaml").marker_text())
    assert read_marker(folder) == RunOrigin("x" * 60_000, "/s.yaml")
    (folder / MARKER).unlink()
    (folder / MARKER).mkdir()
    assert read_marker(folder) is None


def test_a_run_folder_is_replaced_only_when_allowed(tmp_path):
    folder = run_folder(tmp_path / "r")
    with pytest.raises(OutputError, match="pass --overwrite"):
        check_target(folder, ORIGIN, overwrite=False, default=False)
    check_target(folder, ORIGIN, overwrite=True, default=False)
    check_target(folder, ORIGIN, overwrite=False, default=True)
    other = RunOrigin("demo", "/elsewhere/demo.yaml")
    with pytest.raises(OutputError, match="holds a run of /scenarios/demo.yaml"):
        check_target(folder, other, overwrite=False, default=True)


def test_publish_replaces_a_run_folder_and_discard_keeps_foreign_folders(tmp_path):
    target = run_folder(tmp_path / "r")
    staging = staging_folder(target, ORIGIN)
    assert staging.parent == tmp_path and staging.name.startswith(".r.")
    (staging / "summary.json").write_text('{"new": 1}')
    publish(staging, target)
    assert (target / "summary.json").read_text() == '{"new": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep").write_text("k")
    discard(foreign)
    assert (foreign / "keep").exists()


def test_write_file_never_replaces_without_overwrite(tmp_path):
    path = tmp_path / "rows.csv"
    write_file(path, "a\n")
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        write_file(path, "b\n")
    assert path.read_text() == "a\n"
    write_file(path, "c\n", overwrite=True)
    assert path.read_text() == "c\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.csv"]
    with pytest.raises(OutputError, match="is a folder"):
        write_file(tmp_path, "d\n", overwrite=True)
