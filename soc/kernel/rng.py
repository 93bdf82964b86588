"""One numpy Generator per component path, derived from the run seed."""

from __future__ import annotations

import hashlib

import numpy as np


def component_rng(seed: int, path: str) -> np.random.Generator:
    """A generator that depends only on (seed, path): stable across processes and machines."""
    digest = hashlib.sha256(path.encode("utf-8")).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng(np.random.SeedSequence([seed, *words]))
