"""Hostile YAML documents generated at random (hypothesis): deep nesting, alias
fan-outs, non-scalar keys, python and unknown tags, values their core tag cannot read,
garbage bytes, over-long keys and values, duplicate keys, cycles. Every reader refuses
each with one line (a ConfigError), quickly; never another exception."""

import tempfile
import time
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from soc.config import load_scenario
from soc.energy.table import load_energy_table
from soc.errors import ConfigError
from soc.flexnn.sparseloop_input import read_sparseloop
from soc.flexnn.timeloop_yaml import load_documents
from soc.sweeps.spec import read_spec

from .test_hostile_yaml import MINIMAL, bomb, first_level_over

PYTHON_AND_OTHER_TAGS = (
    "!!python/object:os.system",
    "!!python/object/apply:os.system",
    "!!python/object/new:os.system",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple",
    "!!binary",
    "!!set",
    "!!omap",
    "!!pairs",
    "!!timestamp",
    "!foo",
    "!Component",
    "!<tag:example.com,2000:app/x>",
)
BAD_VALUES_FOR_CORE_TAGS = ("!!int seven", "!!int ''", "!!float x", "!!bool maybe", "!!str [1]")
NEVER_VALID = (b"\xff", b"\x00", b"\xc3\x28", b"\x1b", b"\xed\xa0\x80")


@st.composite
def hostile_piece(draw) -> str | bytes:
    """One hostile fragment: a YAML value (text) or raw bytes."""
    kind = draw(
        st.sampled_from(
            [
                "deep",
                "deep_block",
                "bomb",
                "key",
                "tag",
                "bad_core",
                "bytes",
                "long_key",
                "long_value",
                "duplicate",
                "cycle",
            ]
        )
    )
    if kind == "deep":
        depth = draw(st.integers(65, 6000))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}")]))
        return opener * depth + "1" + closer * depth
    if kind == "deep_block":
        depth = draw(st.integers(65, 400))
        return (
            "\n"
            + "".join("  " * (d + 1) + "a:\n" for d in range(depth))
            + "  " * (depth + 1)
            + "b: 1"
        )
    if kind == "bomb":
        fan = draw(st.integers(3, 12))
        levels = first_level_over(200_000, fan) + 1 + draw(st.integers(0, 4))
        return "\n" + bomb(levels, fan, "  ").rstrip("\n")
    if kind == "key":
        key = draw(st.sampled_from(["[a, b]", "{a: 1}", "[]", "{}", "[[x]]"]))
        return "{" + f"? {key} : 1" + "}" if draw(st.booleans()) else f"\n  ? {key}\n  : 1"
    if kind == "tag":
        return f"{draw(st.sampled_from(PYTHON_AND_OTHER_TAGS))} x"
    if kind == "bad_core":
        return draw(st.sampled_from(BAD_VALUES_FOR_CORE_TAGS))
    if kind == "bytes":
        noise = draw(st.binary(max_size=200))
        at = draw(st.integers(0, len(noise)))
        return noise[:at] + draw(st.sampled_from(NEVER_VALID)) + noise[at:]
    if kind == "long_key":
        return "{" + "k" * draw(st.integers(257, 50_000)) + ": 1}"
    if kind == "long_value":
        return "x" * draw(st.integers(1_000_001, 1_100_000))
    if kind == "duplicate":
        key = draw(st.sampled_from(["a", "seed", "frames"]))
        return "{" + f"{key}: 1, b: 2, {key}: 3" + "}"
    return "&c [1, {a: *c}]"  # cycle


@st.composite
def hostile_document(draw) -> bytes:
    """A scenario with a hostile fragment as the value of one of its keys."""
    piece = draw(hostile_piece())
    where = draw(st.sampled_from(["name", "seed", "x-top", "driver"]))
    raw = piece if isinstance(piece, bytes) else piece.encode()
    base = MINIMAL.encode()
    if where == "driver":
        return base + b"driver:\n  frames: " + raw + b"\n"
    if where == "x-top":
        return base + b"x-top: " + raw + b"\n"
    if where == "name":
        return base.replace(b"name: t", b"name: " + raw)
    return base + b"seed: " + raw + b"\n"


@settings(max_examples=250, deadline=timedelta(seconds=3))
@given(hostile_document())
def test_any_hostile_document_is_one_config_error_quickly(document):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hostile.yaml"
        path.write_bytes(document)
        started = time.perf_counter()
        try:
            load_scenario(path)
        except ConfigError as exc:
            message = str(exc)
        else:
            raise AssertionError("a hostile document was accepted")
        assert time.perf_counter() - started < 2
        assert "\n" not in message and len(message) < 400, message[:400]
        assert message.startswith(f"{path}"), message


READERS = {
    "energy table": load_energy_table,
    "sweep": read_spec,
    "timeloop": load_documents,
    "sparseloop": read_sparseloop,
}


@settings(max_examples=120, deadline=timedelta(seconds=3))
@given(hostile_document(), st.sampled_from(sorted(READERS)))
def test_every_yaml_reader_refuses_hostile_documents_in_one_line(document, reader):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hostile.yaml"
        path.write_bytes(document)
        started = time.perf_counter()
        try:
            READERS[reader](path)
        except ConfigError as exc:
            message = str(exc)
        else:  # Timeloop's readers take local tags (!Component); nothing else
            assert reader in ("timeloop", "sparseloop") and b" !" in document, reader
            return
        assert time.perf_counter() - started < 2
        assert "\n" not in message and len(message) < 400, message[:400]
