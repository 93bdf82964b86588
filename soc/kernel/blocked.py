"""Who waits for what when a simulation stalls.

When SimPy's queue runs dry before the driver has finished, every process still alive
waits for an event that nothing will trigger. `blocked_waits` finds them and names
each: the component and generator that waits, and the event it waits for, named by
where it is held (`sram.space`, `npu._jobs`, a job's `done`).

It looks only at a stalled simulation, once: it asks the garbage collector for the
pending events (those still holding callbacks) instead of keeping a registry of
processes, so a run pays nothing for it. Processes are SimPy's, and generators run
by `soc.kernel.ports.drive` (processes without their start and end events).
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import FrameType, GeneratorType

import simpy
from simpy.events import Condition, Process

_MAX_NAMED = 200_000
"""Objects visited when naming what components hold (a bound on the walk, not a limit
any real system reaches)."""


@dataclass(frozen=True, order=True)
class BlockedWait:
    """One blocked process: who (component and generator) and what it waits for."""

    who: str
    waits_for: str

    def __str__(self) -> str:
        return f"{self.who}: waits for {self.waits_for}"


def blocked_waits(env: simpy.Environment, components: Iterable[object]) -> list[BlockedWait]:
    """Every process (or driven generator) of `env` waiting on a pending event, sorted."""
    components = list(components)
    names = _holder_names(components)
    pending = _pending_events(env)
    holders = _Holders(pending)
    out = []
    for event in pending:
        for callback in event.callbacks:
            gen = _waiting_generator(callback)
            if gen is not None:
                out.append(BlockedWait(_who(gen), _what(event, names, holders)))
    return sorted(out)


class _Holders:
    """What refers to an object, asked of the garbage collector in one pass for all
    the pending events at once (a pass per event would cost the heap's size each) and
    remembered; our own lists are left out."""

    def __init__(self, pending: list[simpy.Event]) -> None:
        self._of: dict[int, list[object]] = {}
        self._asked: list[list[object]] = []  # kept: their ids stay ours
        self._own = {id(pending), id(self._of), id(self._asked)}
        self._find(pending)

    def _find(self, targets: list[object]) -> None:
        wanted = {id(t) for t in targets}
        self._asked.append(targets)
        self._own.add(id(targets))
        for target in targets:
            self._of[id(target)] = []
        for holder in gc.get_referrers(*targets):
            if id(holder) in self._own or isinstance(holder, FrameType):
                continue
            for referent in gc.get_referents(holder):
                if id(referent) in wanted:
                    self._of[id(referent)].append(holder)
        self._own.update(id(found) for found in self._of.values())

    def of(self, obj: object) -> list[object]:
        if id(obj) not in self._of:
            self._find([obj])
        return self._of[id(obj)]


def grouped_lines(waits: list[BlockedWait], limit: int = 40) -> list[str]:
    """One line per distinct wait (ending `(x8)` when 8 processes wait alike), at most
    `limit` lines and a last one saying how many more were left out."""
    counts: dict[BlockedWait, int] = {}
    for wait in waits:
        counts[wait] = counts.get(wait, 0) + 1
    lines = [f"{w} (x{n})" if n > 1 else str(w) for w, n in sorted(counts.items())]
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more"]
    return lines


def _pending_events(env: simpy.Environment) -> list[simpy.Event]:
    """Events of `env` not yet triggered that something waits on, reachable or not
    (garbage collected now is kept aside, so the list does not depend on when gc last
    ran)."""
    flags, kept = gc.get_debug(), len(gc.garbage)
    gc.set_debug(flags | gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        objects = gc.get_objects() + gc.garbage[kept:]
    finally:
        del gc.garbage[kept:]  # what was there before is left as it was
        gc.set_debug(flags)
    return [o for o in objects if isinstance(o, simpy.Event) and o.env is env and _waited_on(o)]


def _waited_on(event: simpy.Event) -> bool:
    callbacks = event.callbacks
    return bool(callbacks) and not event.triggered


def _waiting_generator(callback: object) -> GeneratorType | None:
    """The generator a callback resumes: a Process's, or one run by `drive`."""
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, Process):
        return owner._generator
    closure = getattr(callback, "__closure__", None) or ()
    for cell in closure:
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, GeneratorType):
            return value
    return None


def _frames(gen: GeneratorType) -> Iterator[tuple[GeneratorType, FrameType]]:
    """The generator and those it delegates to (`yield from`), outermost first."""
    seen = 0
    while isinstance(gen, GeneratorType) and gen.gi_frame is not None and seen < 100:
        yield gen, gen.gi_frame
        gen, seen = gen.gi_yieldfrom, seen + 1


def _who(gen: GeneratorType) -> str:
    """`<component path> <generator>`, and the innermost generator if it differs."""
    chain = list(_frames(gen))
    path = next(filter(None, (_path_of(frame.f_locals.get("self")) for _, frame in chain)), None)
    outer = chain[0][0].__qualname__ if chain else gen.__qualname__
    inner = chain[-1][0].__qualname__ if chain else outer
    who = f"{path} {outer}" if path else outer
    return who if inner == outer else f"{who} (in {inner})"


def _path_of(obj: object) -> str | None:
    """The component path of `obj`, or of a component it belongs to (a DMA channel)."""
    path = getattr(obj, "path", None)
    if isinstance(path, str) or obj is None:
        return path if isinstance(path, str) else None
    for _, value in _children(obj):
        if isinstance(getattr(value, "path", None), str):
            return value.path
    return None


def _what(event: simpy.Event, names: dict[int, str], holders: _Holders) -> str:
    """Name `event` by what holds it, or by what it belongs to."""
    resource = getattr(event, "resource", None)
    if resource is not None:
        kind = type(event).__name__  # StoreGet, StorePut, Request, ContainerGet, ...
        return f"{_held(resource, names, holders)} ({kind})"
    if isinstance(event, Process):
        return f"the end of {_who(event._generator)}"
    if isinstance(event, Condition):
        waits = [e for e in event._events if not e.triggered]
        inner = "; ".join(sorted({_what(e, names, holders) for e in waits})[:3])
        return f"{len(waits)} pending of {len(event._events)} events ({inner})"
    return _held(event, names, holders)


def _held(obj: object, names: dict[int, str], holders: _Holders) -> str:
    """The name of `obj` or of what holds it: a component's attribute, a list or queue
    it waits in, a field of an object that a waiting generator holds in a variable."""
    path, context = _path(obj, names, holders, 0)
    return f"{path} ({context})" if context else path


def _path(
    obj: object, names: dict[int, str], holders: _Holders, depth: int
) -> tuple[str, str | None]:
    """(name, where that name lives): a component's field has no context, a generator's
    variable says whose it is."""
    if id(obj) in names:
        return names[id(obj)], None
    for holder in holders.of(obj):
        if id(holder) in names:
            return names[id(holder)], None
    for holder in holders.of(obj):
        if isinstance(holder, GeneratorType) and holder.gi_frame is not None:
            local = next((k for k, v in holder.gi_frame.f_locals.items() if v is obj), "?")
            return local, f"a variable of {_who(holder)}"
    if depth < 3:
        for holder in holders.of(obj):
            field = next((k for k, v in _children(holder) if v is obj), None)
            if field is None:
                continue
            path, context = _path(holder, names, holders, depth + 1)
            if not path.startswith("an unnamed"):
                return _join(path, field), context
    return f"an unnamed {type(obj).__name__}", None


def _holder_names(components: list[object]) -> dict[int, str]:
    """id -> name of what the components hold, breadth first (`dma._queues[0]`,
    `npu._in_rf`); a waiting list inside a holder, and what it holds, are named
    after the holder."""
    names: dict[int, str] = {}
    roots = {id(c) for c in components}
    queue: deque[tuple[object, str, int, bool]] = deque(
        (c, str(getattr(c, "path", type(c).__name__)), 0, False) for c in components
    )
    for c, name, _, _ in queue:
        names[id(c)] = name
    while queue and len(names) < _MAX_NAMED:
        obj, name, depth, collapsed = queue.popleft()
        if depth >= 4:
            continue
        for key, value in _children(obj):
            if id(value) in names or id(value) in roots or not _worth_naming(value):
                continue
            collapse = collapsed or key.startswith(_WAITING) or isinstance(obj, deque)
            child = name if collapse else _join(name, key)
            names[id(value)] = child
            queue.append((value, child, depth + 1, collapse))
    return names


def _join(name: str, key: str) -> str:
    return f"{name}{key}" if key.startswith("[") else f"{name}.{key}"


_WAITING = ("_waiting", "get_queue", "put_queue", "callbacks")
"""Fields that hold waiters: what is in them is named after their holder."""


def _children(obj: object) -> Iterator[tuple[str, object]]:
    if isinstance(obj, list | tuple | deque):
        for i, value in enumerate(list(obj)[:10_000]):
            yield f"[{i}]", value
        return
    if isinstance(obj, dict):
        for key, value in list(obj.items())[:10_000]:
            yield f"[{key!r}]", value
        return
    attrs = getattr(obj, "__dict__", None)
    if isinstance(attrs, dict):
        yield from list(attrs.items())
    for cls in type(obj).__mro__:
        slots = getattr(cls, "__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            if slot != "__dict__" and hasattr(obj, slot):
                yield slot, getattr(obj, slot)


def _worth_naming(value: object) -> bool:
    """Containers and objects that may hold events; not the environment, not numbers."""
    if isinstance(value, simpy.Environment | str | bytes | int | float | bool | type(None)):
        return False
    module = type(value).__module__
    return module.startswith(("soc.", "simpy", "builtins", "collections"))
