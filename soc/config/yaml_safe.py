"""YAML read safely: limits checked on the node graph before any Python object is built.

Every YAML document the simulator reads (scenarios, SoC blocks, `--set` values, energy
tables, sweep files, Timeloop and Sparseloop inputs) goes through here:

1. the file is stat'ed and refused when larger than `YamlLimits.max_bytes`, then read and
   decoded as UTF-8 (a bad byte is reported with its line);
2. the document is composed into nodes from libyaml's events by a composer without
   recursion (so each node's line is known); composing stops at the first node deeper
   than `max_depth`, past `max_nodes` nodes or with a scalar over `max_scalar_chars`;
3. `check_node_limits` walks the node graph with an explicit stack (no recursion),
   counting every alias by the size of its target (memoised, so an alias bomb costs
   its file size, not its expansion) and refusing cycles, non-scalar or over-long keys
   and any tag outside YAML's core types;
4. only then are the Python objects built; a value its tag cannot read (``!!int
   seven``) is an error naming its line.

Every problem is a `ConfigError` of one line naming the file and the line. Plain
scalars that look like dates stay strings (as in YAML 1.2's core schema).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from soc.config.messages import KeyPath, clip_values, dotted
from soc.errors import ConfigError
from soc.limits import YAML_LIMITS, YamlLimits
from soc.units import echoed

try:  # libyaml's parser: scanning a 10 MB scalar takes 0.2 s, not 8 s
    from yaml.cyaml import CParser as _Parser

    _PARSER_TAKES_STREAM = True
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser as _Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    _PARSER_TAKES_STREAM = False

_CORE = "tag:yaml.org,2002:"
MERGE_TAG = _CORE + "merge"
CORE_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq"))
_NOT_READ = (_CORE + "timestamp", _CORE + "value")  # implicit types that stay strings


def tag_name(tag: str) -> str:
    """A tag as the user wrote it: ``!!int`` for YAML's own, ``!foo`` for a local one."""
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


class _LimitError(yaml.YAMLError):
    """A limit was passed at `line` (1-based)."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line, self.problem = line, problem


def _line(node: Node | yaml.events.Event) -> int:
    return node.start_mark.line + 1 if node.start_mark is not None else 0


class _LimitedComposer(Composer):
    """Composer without recursion that stops at the first node past the depth, count or
    value-length limits. Plain scalars' tags are resolved once per distinct short value.
    (Path resolvers, which no reader here uses, are not applied.)"""

    limits: YamlLimits = YAML_LIMITS

    def compose_document(self) -> Node:
        self.get_event()  # document start
        node = self._compose()
        self.get_event()  # document end
        self.anchors = {}
        return node

    def _compose(self) -> Node:
        limits, count, tags = self.limits, 0, {}
        open_: list[Node] = []  # the collections being filled, innermost last
        keys: list[Node | None] = []  # for each, a mapping key waiting for its value
        while True:
            event = self.get_event()
            if isinstance(event, SequenceEndEvent | MappingEndEvent):
                node = open_.pop()
                keys.pop()
                node.end_mark = event.end_mark
                if not open_:
                    return node
                continue
            if isinstance(event, AliasEvent):
                if event.anchor not in self.anchors:
                    raise ComposerError(
                        None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                    )
                node = self.anchors[event.anchor]
            else:
                count += 1
                if count > limits.max_nodes:
                    raise _LimitError(_line(event), f"more than {limits.max_nodes:,} nodes")
                node = self._node(event, limits, tags)
                if event.anchor is not None:
                    if event.anchor in self.anchors:
                        raise ComposerError(
                            None, None, f"found duplicate anchor {event.anchor!r}", event.start_mark
                        )
                    self.anchors[event.anchor] = node
            if open_ and isinstance(open_[-1], SequenceNode):
                open_[-1].value.append(node)
            elif open_ and keys[-1] is None:
                keys[-1] = node
            elif open_:
                open_[-1].value.append((keys[-1], node))
                keys[-1] = None
            if isinstance(event, SequenceStartEvent | MappingStartEvent):
                open_.append(node)
                keys.append(None)
                if len(open_) > limits.max_depth:
                    raise _LimitError(
                        _line(event), f"nested more than {limits.max_depth} levels deep"
                    )
            elif not open_:
                return node

    def _node(self, event: yaml.events.NodeEvent, limits: YamlLimits, tags: dict) -> Node:
        tag = event.tag
        if isinstance(event, ScalarEvent):
            if len(event.value) > limits.max_scalar_chars:
                raise _LimitError(
                    _line(event),
                    f"a value of {len(event.value):,} characters (the limit is "
                    f"{limits.max_scalar_chars:,})",
                )
            if tag is None or tag == "!":
                key = (event.value, event.implicit)
                tag = tags.get(key) or self.resolve(ScalarNode, event.value, event.implicit)
                if len(event.value) <= 64:
                    tags[key] = tag
            return ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        kind = SequenceNode if isinstance(event, SequenceStartEvent) else MappingNode
        if tag is None or tag == "!":
            tag = self.resolve(kind, None, event.implicit)
        return kind(tag, [], event.start_mark, None, flow_style=event.flow_style)


if _PARSER_TAKES_STREAM:

    class _ParserBase(_Parser):
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)

else:  # pragma: no cover

    class _ParserBase(Reader, Scanner, _Parser):
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _Parser.__init__(self)


class SafeLimitedLoader(_LimitedComposer, _ParserBase, SafeConstructor, Resolver):
    """A safe loader that composes within `YAML_LIMITS`. Readers with tags of their own
    (Timeloop's ``!Component``) subclass it and add constructors for them."""

    def __init__(self, stream: str) -> None:
        _ParserBase.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


SafeLimitedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _NOT_READ]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}


_INT_CHARS = 4300


def _checked(tag: str):
    """The safe constructor of `tag`, its errors (``!!int seven``) as ConstructorError
    naming the node's line instead of a bare ValueError or KeyError."""
    construct = SafeConstructor.yaml_constructors[tag]
    # Python reads at most 4,300 decimal digits; a base-60 integer (1:30:00) takes time
    # quadratic in its length, so a longer integer is refused before it is read
    longest = _INT_CHARS if tag == _CORE + "int" else None

    def checked(loader: SafeConstructor, node: Node) -> object:
        try:
            if longest is not None and len(node.value) > longest:
                raise ValueError("too long")
            return construct(loader, node)
        except (ValueError, KeyError, IndexError, TypeError, OverflowError):
            value = node.value if isinstance(node.value, str) else ""
            raise ConstructorError(
                None, None, f"{echoed(value)} is not a valid {tag_name(tag)}", node.start_mark
            ) from None

    return checked


for _tag in ("int", "float", "bool", "null", "str"):
    SafeLimitedLoader.add_constructor(_CORE + _tag, _checked(_CORE + _tag))
# `<<` merges as a key; anywhere else it is the text it is
SafeLimitedLoader.add_constructor(MERGE_TAG, _checked(_CORE + "str"))


def check_node_limits(
    node: Node, where: str, limits: YamlLimits = YAML_LIMITS, local_tags: bool = False
) -> None:
    """Refuse (ConfigError naming `where` and the line) a composed document that holds
    more than `limits.max_nodes` nodes once every alias is expanded, is nested deeper
    than `limits.max_depth` so expanded, refers to itself, has a key that is not a
    scalar or is over `max_key_chars`, a scalar over `max_scalar_chars`, or a tag other
    than YAML's core types (and, with `local_tags`, local ``!Name`` tags). Iterative:
    a document of any depth cannot overflow the stack."""
    try:
        _walk(node, limits, local_tags)
    except _LimitError as exc:
        raise ConfigError(f"{where}:{exc.line}: {exc.problem}") from None


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, SequenceNode) else []


def _check_one(node: Node, limits: YamlLimits, local_tags: bool) -> None:
    allowed = node.tag in CORE_TAGS or (local_tags and node.tag.startswith("!"))
    if not allowed and not (node.tag == MERGE_TAG and isinstance(node, ScalarNode)):
        raise _LimitError(
            _line(node),
            f"tag {echoed(tag_name(node.tag))} is not read (only YAML's plain types: "
            "strings, numbers, booleans, null, mappings and lists"
            f"{', and local !Name tags' if local_tags else ''})",
        )
    if isinstance(node, ScalarNode) and len(node.value) > limits.max_scalar_chars:
        raise _LimitError(_line(node), f"a value of {len(node.value):,} characters")
    if isinstance(node, ScalarNode) and "\x00" in node.value:  # a "\0" escape: no path, no name
        raise _LimitError(_line(node), "a value holds a NUL character ('\\0')")
    for key, _ in node.value if isinstance(node, MappingNode) else ():
        if not isinstance(key, ScalarNode):
            kind = "mapping" if isinstance(key, MappingNode) else "list"
            raise _LimitError(_line(key), f"a key must be a plain value, not a {kind}")
        if len(key.value) > limits.max_key_chars:
            raise _LimitError(
                _line(key),
                f"key {echoed(key.value)} is longer than {limits.max_key_chars} characters",
            )


def _walk(root: Node, limits: YamlLimits, local_tags: bool) -> None:
    size: dict[int, int] = {}  # id(node) -> nodes once expanded
    height: dict[int, int] = {}  # id(node) -> nesting levels once expanded
    entered: set[int] = set()  # on the path from the root to the node being expanded
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            entered.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            height[key] = int(not isinstance(node, ScalarNode)) + max(
                (height[id(k)] for k in kids), default=0
            )
            if size[key] > limits.max_nodes:
                raise _LimitError(
                    _line(node),
                    f"expands to more than {limits.max_nodes:,} nodes through its aliases",
                )
            if height[key] > limits.max_depth:
                raise _LimitError(
                    _line(node),
                    f"nested more than {limits.max_depth} levels deep through its aliases",
                )
            continue
        if key in size:
            continue
        if key in entered:
            raise _LimitError(_line(node), "an alias refers to a node that contains it")
        _check_one(node, limits, local_tags)
        entered.add(key)
        stack.append((node, True))
        stack.extend((kid, False) for kid in _children(node) if id(kid) not in size)


def _line_index(root: Node) -> dict[KeyPath, int]:
    """The 1-based line of every key path (a key's own line); a mapping reached again
    through an alias is not walked again (paths below it take the alias's line). A key
    given twice in one mapping is refused. Merged keys (``<<: *base``) take the line of
    the ``<<``."""
    lines: dict[KeyPath, int] = {}
    seen: set[int] = set()
    stack: list[tuple[Node, KeyPath]] = [(root, ())]
    while stack:
        node, at = stack.pop()
        lines.setdefault(at, _line(node))
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((item, at + (i,)) for i, item in enumerate(node.value))
        if not isinstance(node, MappingNode):
            continue
        given: set[str] = set()
        merged: list[tuple[str, int]] = []
        for key_node, value_node in node.value:
            key = key_node.value
            if key in given:
                raise _LimitError(_line(key_node), f"{dotted(at + (key,))}: duplicate key")
            given.add(key)
            if key_node.tag == MERGE_TAG:
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                merged += [
                    (k.value, _line(key_node))
                    for source in sources
                    if isinstance(source, MappingNode)
                    for k, _ in source.value
                ]
                continue
            lines[at + (key,)] = _line(key_node)
            stack.append((value_node, at + (key,)))
        for key, line in merged:
            if key not in given:
                lines.setdefault(at + (key,), line)
    return lines


def read_text(path: Path, limits: YamlLimits = YAML_LIMITS, missing: str = "no such file") -> str:
    """The text of the YAML file `path`, refused by its size (a stat, before reading)
    and unless it is UTF-8; `missing` is the message for a path where nothing is."""
    try:
        if not path.is_file():  # a folder, a FIFO or a device is never opened
            raise ConfigError(f"{path}: {'not a regular file' if path.exists() else missing}")
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise ConfigError(
                f"{path}: {size:,} bytes is over the limit of {limits.max_bytes:,} for a YAML file"
            )
        with path.open("rb") as stream:
            raw = stream.read(limits.max_bytes + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(raw) > limits.max_bytes:  # it grew after the stat
        raise ConfigError(f"{path}: over the limit of {limits.max_bytes:,} bytes for a YAML file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text ({exc.reason})") from None


def _syntax_message(
    exc: yaml.YAMLError, text: str, where: str, lines: bool, limits: YamlLimits
) -> str:
    if "maximum nesting depth" in str(exc):  # libyaml's own limit (1,000 levels)
        mark = getattr(exc, "problem_mark", None)
        exc = _LimitError(
            mark.line + 1 if mark else 0, f"nested more than {limits.max_depth} levels deep"
        )
    if isinstance(exc, _LimitError):
        return f"{where}:{exc.line}: {exc.problem}" if lines else f"{where}: {exc.problem}"
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    if isinstance(exc, yaml.reader.ReaderError):  # libyaml counts bytes, PyYAML characters
        before = text.encode("utf-8", "surrogatepass") if _PARSER_TAKES_STREAM else text
        line = before[: exc.position].count("\n" if isinstance(before, str) else b"\n") + 1
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        problem = f"character {char!r} is not allowed"
    else:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        problem = f"{context}, {problem}" if context else problem
    at = f":{line}" if line is not None and lines else ""
    if isinstance(exc, ConstructorError):  # well-formed, but its tag cannot read it
        return f"{where}{at}: {clip_values(problem)}"
    return f"{where}{at}: invalid YAML: {clip_values(problem)}"


def parse_yaml(
    text: str,
    where: str,
    loader: type[SafeLimitedLoader] = SafeLimitedLoader,
    limits: YamlLimits = YAML_LIMITS,
    local_tags: bool = False,
    lines: bool = True,
) -> tuple[Any, dict[KeyPath, int]]:
    """Compose `text` (one document), check its limits, build it; return the data and
    the line of every key path. Errors name `where` and, with `lines`, the line."""
    if len(text) > limits.max_bytes:
        raise ConfigError(f"{where}: over the limit of {limits.max_bytes:,} bytes for YAML")
    instance = None
    try:
        instance = loader(text)  # PyYAML's own reader checks the characters here
        instance.limits = limits
        node = instance.get_single_node()
        if node is None:
            return None, {}
        _walk(node, limits, local_tags)
        index = _line_index(node)
        return instance.construct_document(node), index
    except UnicodeError:  # a lone surrogate from the command line
        raise ConfigError(f"{where}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise ConfigError(_syntax_message(exc, text, where, lines, limits)) from None
    finally:
        if instance is not None:
            instance.dispose()


def load_yaml(
    path: Path,
    loader: type[SafeLimitedLoader] = SafeLimitedLoader,
    limits: YamlLimits = YAML_LIMITS,
    local_tags: bool = False,
    missing: str = "no such file",
) -> tuple[Any, dict[KeyPath, int]]:
    """`read_text` then `parse_yaml`: the data of the YAML file `path` and the line of
    every key path, or a one-line `ConfigError` naming the file and line."""
    return parse_yaml(read_text(path, limits, missing), str(path), loader, limits, local_tags)
