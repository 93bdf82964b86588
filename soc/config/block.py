"""The base of every configuration model.

Every value is checked for its kind before its field sees it: a number is never `inf` or
`nan` (pydantic's `allow_inf_nan=False`, in containers too), a boolean is no number
(YAML `true` for `seed` or `frames`, which pydantic would take for 1), and a number or a
string is no boolean (only `true` / `false`, not 1 or "yes", where a switch is asked).
An integer may be written as a whole float (`frames: 2.0`, as YAML tools write numbers);
a fraction (`2.5`) is refused by pydantic.

Every name a user gives that may end up in a file or folder name, a trace track or a
message is one plain path component (`name_error`).
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from soc.config.keypath import KeyPathError
from soc.units import echoed

_KINDS: dict[tuple[type, str], tuple[bool, bool, str, bool]] = {}


def _leaves(annotation: Any) -> list[Any]:
    """The plain types a field's annotation is made of (inside unions, Annotated,
    Literal and containers)."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return _leaves(args[0])
    if origin is Literal:
        return [type(arg) for arg in args]
    if not args:
        return [annotation]
    return [leaf for arg in args for leaf in _leaves(arg)]


def _kinds(model: type[BaseModel], field: str) -> tuple[bool, bool, str, bool]:
    """(takes a boolean anywhere, takes only booleans, what it takes instead ('a number',
    'a text' or ''), holds a model whose own check sees its values) for a field."""
    key = (model, field)
    if key not in _KINDS:
        leaves = [t for t in _leaves(model.model_fields[field].annotation) if t is not type(None)]
        takes_bool = any(t is bool for t in leaves)
        only_bool = takes_bool and all(t is bool for t in leaves)
        number = any(t is int or t is float for t in leaves)
        text = any(t is str or (isinstance(t, type) and issubclass(t, PurePath)) for t in leaves)
        nested = any(isinstance(t, type) and issubclass(t, BaseModel) for t in leaves)
        _KINDS[key] = (takes_bool, only_bool, "a number" if number else "a text" * text, nested)
    return _KINDS[key]


def _bool_in(value: object) -> tuple[tuple[str | int, ...], bool] | None:
    """Where a boolean is: `value` itself or one of its items (one level down)."""
    if isinstance(value, bool):
        return (), value
    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    for key, item in items:
        if isinstance(item, bool):
            return (key if isinstance(key, int) else str(key),), item
    return None


def key_path_error(exc: ValidationError) -> KeyPathError:
    """The first error of validating a model inside a validator, as the error of the key
    below it (the loader prefixes where the validator's field sits)."""
    first = exc.errors()[0]
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "required key is missing"
    else:
        message = first["msg"].removeprefix("Value error, ")
    cause = first.get("ctx", {}).get("error")
    loc = tuple(first["loc"]) + (cause.loc if isinstance(cause, KeyPathError) else ())
    return KeyPathError(loc, str(cause) if isinstance(cause, KeyPathError) else message)


MAX_NAME_CHARS = 100
_UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f]")


def name_error(name: str, what: str) -> str | None:
    """Why `name` cannot be a `what`'s name, if it cannot: every name a user gives may
    end up in a file or folder name, a trace track or a message, so it is one plain path
    component: 1 to 100 characters, no '/', '\\', NUL or control character, not '.' or
    '..', not starting with '.'."""
    rule = "1 to 100 characters, no '/', '\\' or control characters, not starting with '.'"
    if not name or len(name) > MAX_NAME_CHARS or name.startswith(".") or _UNSAFE.search(name):
        return f"{echoed(name)} is not a safe {what} name ({rule})"
    return None


class Block(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable,
    numbers are finite, booleans and numbers are not taken for each other."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _kind_of_values(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        for field, value in data.items():
            if field in cls.model_fields:
                _check_kind(cls, field, value)
        return data


def _check_kind(model: type[BaseModel], field: str, value: object) -> None:
    """Refuse a boolean where a number (or a text) is asked, and anything but a
    boolean where only a boolean is."""
    takes_bool, only_bool, kind, nested = _kinds(model, field)
    if only_bool:
        if value is not None and not isinstance(value, bool):
            raise KeyPathError((field,), f"expected true or false, got {echoed(value)}")
        return
    found = None if takes_bool else _bool_in(value)
    if found is not None and found[0] and nested:
        found = None  # a model's values: its own check names their keys
    if found is not None:
        at, flag = found
        what = kind or "a value of its kind"
        raise KeyPathError((field, *at), f"expected {what}, not the boolean {str(flag).lower()}")
