"""Compact JSON of one value, as the trace writers need it many times per run.

`encode(value)` is exactly ``json.dumps(value, separators=(",", ":"))``. The standard
library builds a new C encoder object on every call of `JSONEncoder.encode`; here it is
built once, which makes encoding a small dict or one number several times cheaper. The
only difference is that circular containers are not detected (trace fields are plain
data); without the C accelerator the standard encoder is used as is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _stdlib

_PLAIN = json.JSONEncoder(separators=(",", ":"))


def _make_encode() -> Callable[[object], str]:
    make = getattr(_stdlib, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has the accelerator
        return _PLAIN.encode
    chunks = make(
        None,  # markers: no circular check
        _PLAIN.default,
        _stdlib.encode_basestring_ascii,  # ensure_ascii, as json.dumps
        None,  # indent
        ":",
        ",",
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    join = "".join

    def encode(value: object) -> str:
        return join(chunks(value, 0))

    return encode


encode = _make_encode()
