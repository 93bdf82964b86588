"""Timeloop's YAML (format v0.4) as Timeloop reads it: documents and the problem.
The architecture is read by soc.flexnn.timeloop_arch, the mapping by
soc.flexnn.timeloop_mapping; all follow Timeloop's own parsers and refuse, with one
line naming file and key, what the loop-nest model cannot express.

Problem (src/workload/shape-models/problem-shape.cpp): projection terms are
``[dimension]`` or ``[dimension, coefficient]``; a term's element that names a
dimension is the dimension, the other a coefficient name or a number (so
``[coefficient, dimension]`` is read too); a flat list ``[C, K]`` is one axis per
dimension; coefficients take their default unless the instance sets them.

Documents carry the front end's YAML tags (``!Component`` ...) as a ``"!"`` key.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from soc.config.yaml_safe import SafeLimitedLoader, parse_yaml, read_text
from soc.errors import ConfigError
from soc.flexnn.loopnest import DataSpace, Problem


class _Loader(SafeLimitedLoader):
    """Safe loader, within the YAML limits, that reads the front end's tags
    (!Component ...) as a '!' key."""


def _tagged(loader: SafeLimitedLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.MappingNode):
        return {**loader.construct_mapping(node, deep=True), "!": suffix}
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_Loader.add_multi_constructor("!", _tagged)


def load_documents(*paths: Path) -> tuple[dict, dict[str, str]]:
    """Merge Timeloop YAML files key by key (a later file's key replaces an earlier one,
    except that an empty value never replaces a filled one, so a mapper's map.yaml can
    follow parsed-processed-input.yaml's ``mapping: []``). Returns the merged document
    and, per top-level key, the file it came from (for error messages)."""
    doc: dict = {}
    origin: dict[str, str] = {}
    for path in paths:
        text = read_text(Path(path))  # its size checked first, then UTF-8
        template = next(
            (n for n, ln in enumerate(text.splitlines(), 1) if "{%" in ln or "{{" in ln), 0
        )
        if template:
            raise ConfigError(
                f"{path}: line {template}: a Jinja template (Timeloop's front end fills "
                "these in); give the parsed-processed-input.yaml it wrote instead"
            )
        loaded, _ = parse_yaml(text, str(path), _Loader, local_tags=True)
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a Timeloop YAML mapping at the top level")
        for key, value in loaded.items():
            if key in doc and value in (None, [], {}) and doc[key] not in (None, [], {}):
                continue
            doc[key] = value
            origin[key] = str(path)
    return doc, origin


def whole(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{where}: expected a whole number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{where}: expected a whole number, got {value!r}") from None
    if number != int(number):
        raise ConfigError(f"{where}: expected a whole number, got {value!r}")
    return int(number)


def number(value: object, where: str) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected a number, got {value!r}") from None


def read_problem(doc: dict, where: str = "problem", allow_densities: bool = False) -> Problem:
    """The ``problem`` section: dimensions, coefficients, data spaces, instance.
    ``densities`` / ``commonDensity`` (Sparseloop) are refused unless `allow_densities`
    (a sparse reader then reads them itself)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("shape"), dict):
        raise ConfigError(f"{where}.shape: expected the problem shape as a mapping")
    shape, instance = doc["shape"], doc.get("instance") or {}
    if "flatten" in shape:
        raise ConfigError(f"{where}.shape.flatten: flattened dimensions are not modelled")
    dims = shape.get("dimensions")
    if isinstance(dims, str):
        dims = dims.replace(",", " ").split()
    if not isinstance(dims, list) or not dims:
        raise ConfigError(f"{where}.shape.dimensions: expected a list of dimension names")
    dims = [str(d) for d in dims]
    coefficients: dict[str, int] = {}
    for i, coef in enumerate(shape.get("coefficients") or []):
        coefficients[str(coef["name"])] = whole(
            coef.get("default", 1), f"{where}.shape.coefficients[{i}].default"
        )
    for name in coefficients:
        if name in instance:
            coefficients[name] = whole(instance[name], f"{where}.instance.{name}")
    for key in ("densities", "commonDensity"):
        if instance.get(key) and not allow_densities:
            raise ConfigError(
                f"{where}.instance.{key}: densities are Sparseloop's; read the design with "
                "the Sparseloop reader"
            )
    sizes = {}
    for dim in dims:
        if dim not in instance:
            raise ConfigError(f"{where}.instance.{dim}: missing (every dimension needs a size)")
        sizes[dim] = whole(instance[dim], f"{where}.instance.{dim}")
    spaces = []
    for i, ds in enumerate(shape.get("data_spaces") or []):
        ds_where = f"{where}.shape.data_spaces[{i}]"
        axes = _projection(ds.get("projection"), dims, coefficients, f"{ds_where}.projection")
        spaces.append(DataSpace(str(ds["name"]), axes, bool(ds.get("read_write", False))))
    if not spaces:
        raise ConfigError(f"{where}.shape.data_spaces: expected at least one data space")
    return Problem(str(shape.get("name", "problem")), sizes, tuple(spaces))


def _projection(
    proj: object, dims: list[str], coefficients: dict[str, int], where: str
) -> tuple[tuple[tuple[int, str], ...], ...]:
    if not isinstance(proj, list):
        raise ConfigError(f"{where}: expected a list of axes")
    axes = []
    for k, axis in enumerate(proj):
        if isinstance(axis, str):  # flat form: one axis per dimension name
            axis = [[axis]]
        if not isinstance(axis, list):
            raise ConfigError(f"{where}[{k}]: expected a list of terms")
        terms = []
        for t, term in enumerate(axis):
            term = [term] if isinstance(term, str) else term
            terms.append(_term(term, dims, coefficients, f"{where}[{k}][{t}]"))
        axes.append(tuple(terms))
    return tuple(axes)


def _term(term: object, dims: list[str], coefficients: dict[str, int], where: str):
    if not isinstance(term, list) or len(term) not in (1, 2):
        raise ConfigError(f"{where}: a term is [dimension] or [dimension, coefficient]")
    named = [str(x) for x in term if str(x) in dims]
    if len(term) == 1:
        if not named:
            raise ConfigError(f"{where}: {term[0]!r} is not a dimension")
        return 1, named[0]
    if len(named) != 1:
        raise ConfigError(f"{where}: exactly one of {term!r} must name a dimension")
    other = term[1] if str(term[0]) == named[0] else term[0]
    if str(other) in coefficients:
        return coefficients[str(other)], named[0]
    if isinstance(other, int) and not isinstance(other, bool):
        return other, named[0]
    raise ConfigError(f"{where}: {other!r} is neither a coefficient nor a number")
