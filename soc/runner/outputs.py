"""Run folders: where a run may write, and how it lands without harming anything else.

A run folder is built under a unique hidden staging folder beside its target and moved
into place only when every file is complete. `soc` replaces or deletes only folders it
created itself: each run folder (and each staging folder) carries a marker file,
`MARKER`, naming the scenario that wrote it. A folder without the marker is never
touched; one with it is replaced only when the caller allows it.

Life cycle: `check_target` (before simulating, so a refused target costs nothing) →
`staging_folder` → the run writes into it → `publish` (or `discard` on any failure,
interrupts included).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path

from soc.errors import OutputError

MARKER = ".flexsoc-run"
_MARKER_BYTES = 1 << 16


@dataclass(frozen=True)
class RunOrigin:
    """What wrote a run folder: the scenario's name and the file it came from."""

    scenario: str
    source: str

    def marker_text(self) -> str:
        return json.dumps({"scenario": self.scenario, "source": self.source}) + "\n"


def read_marker(folder: Path) -> RunOrigin | None:
    """The origin recorded in `folder`'s marker, or None if it is no run folder of ours."""
    marker = folder / MARKER
    if marker.is_symlink() or not marker.is_file():
        return None
    try:
        if marker.stat().st_size > _MARKER_BYTES:  # ours hold two short strings
            return None
        data = json.loads(marker.read_text(encoding="utf-8"))
        return RunOrigin(str(data["scenario"]), str(data["source"]))
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def check_target(out_dir: Path, origin: RunOrigin, *, overwrite: bool, default: bool) -> None:
    """Refuse a target that writing the run would harm; return if it is safe.

    Safe: a path that does not exist yet (its parent may be created), an empty folder,
    or a run folder of ours that the user allowed to be replaced: with `overwrite`, or
    (`default`, the runs/NAME/ folder) when the same scenario file wrote it.
    """
    where = str(out_dir)
    absolute = Path(os.path.abspath(out_dir))
    if absolute.parent == absolute:
        raise OutputError(f"{where}: a run folder cannot be the file-system root")
    here = Path(os.path.abspath(Path.cwd()))
    if absolute == here or absolute in here.parents:
        raise OutputError(f"{where}: is the current folder or holds it; name a new folder")
    if out_dir.is_symlink():
        raise OutputError(f"{where}: is a symbolic link; name a folder")
    if not out_dir.exists():
        for parent in absolute.parents:
            if parent.exists() and not parent.is_dir():
                raise OutputError(f"{where}: {parent} is not a folder")
        return
    if not out_dir.is_dir():
        raise OutputError(f"{where}: exists and is not a folder; name a new folder")
    if not any(out_dir.iterdir()):
        return
    found = read_marker(out_dir)
    if found is None:
        raise OutputError(
            f"{where}: exists and is not a flexsoc run folder; refusing to replace it "
            "(name a new folder)"
        )
    if overwrite or (default and found == origin):
        return
    raise OutputError(
        f"{where}: holds a run of {found.source} ({found.scenario}); "
        "pass --overwrite to replace it, or --out a new folder"
    )


def staging_folder(out_dir: Path, origin: RunOrigin) -> Path:
    """A new, uniquely named hidden folder beside `out_dir`, marked as ours."""
    absolute = Path(os.path.abspath(out_dir))
    absolute.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{absolute.name}.", suffix=".partial", dir=absolute.parent)
    )
    (staging / MARKER).write_text(origin.marker_text(), encoding="utf-8")
    return staging


def discard(staging: Path) -> None:
    """Remove a staging folder, but only one that carries our marker."""
    if staging.is_dir() and read_marker(staging) is not None:
        shutil.rmtree(staging, ignore_errors=True)


def publish(staging: Path, out_dir: Path) -> None:
    """Move the complete `staging` folder to `out_dir`, replacing an earlier run there.

    The target was checked by `check_target`; it is checked again here, since the run
    took a while. Interrupts are held off for the two renames, so an interrupted run
    leaves either the old folder or the new one, never neither.
    """
    absolute = Path(os.path.abspath(out_dir))
    old: Path | None = None
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        if absolute.exists() and any(absolute.iterdir()):
            if read_marker(absolute) is None:
                raise OutputError(f"{out_dir}: appeared during the run and is no run folder")
            old = Path(
                tempfile.mkdtemp(prefix=f".{absolute.name}.", suffix=".old", dir=absolute.parent)
            )
            absolute.rename(old / "run")
        elif absolute.exists():
            absolute.rmdir()  # empty: nothing of anybody's is lost
        staging.rename(absolute)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_file(path: Path, text: str, *, overwrite: bool = False) -> None:
    """Write `path` whole or not at all; an existing file is replaced only with `overwrite`."""
    if path.is_dir() or path.is_symlink():
        raise OutputError(f"{path}: is a folder or a symbolic link; name a new file")
    if path.exists() and not overwrite:
        raise OutputError(f"{path}: exists; pass --overwrite to replace it")
    absolute = Path(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(
        prefix=f".{absolute.name}.", suffix=".partial", dir=absolute.parent
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        if overwrite:
            os.replace(temporary, absolute)
        else:
            os.link(temporary, absolute)  # fails rather than replace a file made meanwhile
            os.unlink(temporary)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
