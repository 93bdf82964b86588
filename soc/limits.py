"""Limits on what the simulator reads: every input file is checked against them before
it is read whole, so a wrong or hostile file costs a stat, not the machine's memory.

The size limit for data files (ONNX models, SCALE-Sim CSV, arrays, traces) is set with
the environment variable ``FLEXSOC_MAX_INPUT_MB`` (default 2048); YAML documents
(scenarios, blocks, energy tables, sweeps, Timeloop inputs) have limits of their own,
which `YamlLimits` holds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from soc.errors import InputError

MAX_INPUT_ENV = "FLEXSOC_MAX_INPUT_MB"
DEFAULT_MAX_INPUT_MB = 2048


@dataclass(frozen=True)
class YamlLimits:
    """What a YAML document may hold, checked on its node graph before it is built."""

    max_bytes: int = 16 * 2**20  # the file's size
    max_depth: int = 64  # nesting of mappings and sequences
    max_nodes: int = 200_000  # nodes once every alias is expanded (scenarios hold ~1,000)
    max_key_chars: int = 256  # a mapping key
    max_scalar_chars: int = 1_000_000  # any one scalar


YAML_LIMITS = YamlLimits()


def max_input_bytes() -> int:
    """The size limit for one data file, from ``FLEXSOC_MAX_INPUT_MB``."""
    text = os.environ.get(MAX_INPUT_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_INPUT_MB * 2**20
    try:
        mb = float(text)
    except ValueError:
        raise InputError(f"{MAX_INPUT_ENV}={text!r}: expected a size in MB") from None
    if not (mb > 0 and mb < 2**40):
        raise InputError(f"{MAX_INPUT_ENV}={text!r}: expected a positive size in MB")
    return int(mb * 2**20)


def check_input_file(path: Path, what: str, limit: int | None = None) -> int:
    """Refuse `path` unless it is a regular file no larger than `limit` bytes (default
    `max_input_bytes()`); return its size. `what` names the input in the message."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: {what}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: {what}: cannot be read ({exc.strerror})") from None
    if not path.is_file():
        raise InputError(f"{path}: {what}: not a regular file")
    limit = max_input_bytes() if limit is None else limit
    if stat.st_size > limit:
        raise InputError(
            f"{path}: {what}: {stat.st_size:,} bytes is over the limit of {limit:,} "
            f"(set {MAX_INPUT_ENV} to raise it)"
        )
    return stat.st_size
