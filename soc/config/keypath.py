"""What config validators raise and print: an error located at a key below a model, and
the list of known names an error about a wrong name shows."""

from __future__ import annotations

import difflib
from collections.abc import Sequence


class KeyPathError(ValueError):
    """A validator's error about a key below its model: `loc` is the key's path from
    that model (the loader prefixes where the model sits and finds the line)."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc

    def dotted(self) -> str:
        """`loc` as written in YAML: ``per_layer.conv1``, ``layers[2].source``."""
        return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.loc).lstrip(".")


def name_list(names: Sequence[str], wanted: str) -> str:
    """The known names for an error message: all of a few; of many, the count, the
    first and last, and the closest to `wanted`."""
    if len(names) <= 12:
        return ", ".join(names) or "none"
    close = difflib.get_close_matches(wanted, names, n=3)
    hint = f"; closest: {', '.join(close)}" if close else ""
    return f"{len(names)} of them, {names[0]}, {names[1]}, ..., {names[-1]}{hint}"
