"""flexsoc: a discrete-event SoC-level simulator for edge AI built around FlexNN."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

__version__ = "0.1.0"


def lazy_names(
    package: str, where: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` (PEP 562) of a package whose names are imported
    from their modules on first use; `where` maps each public name to its module.

    Why: start-up time (issue 10). A package `__init__` that imports all its modules
    makes importing any one of them import the whole package: `soc map` from the cache
    would import the simulator. This is import-time name resolution of a package's own
    names, not attribute delegation on objects: nothing is forwarded at run time, and
    nothing is written into the package. A name is looked up again on each use, which
    costs a dict lookup in `sys.modules` (where importlib keeps every imported module)
    and a getattr; code that uses a name often binds it once with `from ... import`.

    Life cycle: a package calls it once at import,
    `__getattr__, __dir__ = lazy_names(__name__, _WHERE)`.
    """

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        found = sys.modules.get(module)
        return getattr(found if found is not None else importlib.import_module(module), name)

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__


if TYPE_CHECKING:
    from soc.api import RunResult, SweepResult, run, sweep

# the Python API (soc.api), imported on first use: `import soc` stays cheap
_WHERE = {
    "run": "soc.api",
    "RunResult": "soc.api",
    "sweep": "soc.api",
    "SweepResult": "soc.api",
}

__all__ = ["RunResult", "SweepResult", "lazy_names", "run", "sweep"]

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
