"""One-line error messages: key paths as the user wrote them, values echoed cut short."""

from __future__ import annotations

import re
from typing import Any

from soc.units import echoed

KeyPath = tuple[str | int, ...]


# an opening quote follows neither a word nor the `…` that ends a value already cut
_LONG_QUOTED = re.compile(r"(?<![\w…])(?:'([^'\n]{61,})'|\"([^\"\n]{61,})\")")
_LONG_WORD = re.compile(r"\S{121,}")


def clip_values(message: str) -> str:
    """`message` with every quoted value over 60 characters (and any run of over 120
    non-blank characters) cut, so a 10 MB value prints as one short line."""
    message = _LONG_QUOTED.sub(lambda m: echoed(m.group(1) or m.group(2)), message)
    message = _LONG_WORD.sub(
        lambda m: f"{m.group(0)[:60]}… ({len(m.group(0)):,} characters)", message
    )
    if len(message) > 600:  # still long: words and spaces
        message = f"{message[:500]}… ({len(message):,} characters)"
    return message


def dotted(loc: KeyPath) -> str:
    """`loc` as written in YAML: ``soc.dram.latency_ps``, ``workload.layers[2].k``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


# What pydantic puts in an error's location for the member of a union it tried, as if it
# were a key: a model's class name, ``literal['auto','is']``, ``function-after[...]``,
# ``str``, ``[key]`` (a mapping key's own check).
_UNION_TAG = re.compile(
    r"[A-Z]\w*|[a-z][\w-]*\[.*\]|[a-z]+(?:-[a-z]+)+|\[key\]"
    r"|str|int|float|bool|none|bytes|list|dict|tuple|set|frozenset|date|datetime"
)


def without_union_tags(
    loc: KeyPath, data: Any, missing: bool, kinds: tuple[str, ...] = ()
) -> KeyPath:
    """A pydantic error's `loc` as the user wrote it, without the union tags pydantic
    puts in it (``workload.dataflow.literal['auto',…]`` is ``workload.dataflow``; with
    the masters' `kinds`, ``masters[0].camera.fps`` is ``masters[0].fps``). A part is a
    tag when `data`, the document validated, has no such key there and the part reads
    as one (or is one of `kinds` after a list index); the last part of a `missing`
    error is the key that is missing, never a tag."""
    kept: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if i > 0 and isinstance(loc[i - 1], int) and part in kinds:
            continue  # a discriminated union's tag, always there after the index
        if isinstance(node, dict) and part in node:
            kept.append(part)
            node = node[part]
            continue
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            kept.append(part)
            node = node[part]
            continue
        tag = isinstance(part, str) and _UNION_TAG.fullmatch(part) is not None
        if tag and not (missing and i == len(loc) - 1):
            continue
        kept.append(part)
        node = None
    return tuple(kept)
