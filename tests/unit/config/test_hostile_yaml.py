"""Hostile YAML: every document the simulator reads is refused with one line naming the
file and line (a ConfigError, exit code 2 through the CLI), fast, never a traceback.

Limits (soc.limits.YAML_LIMITS): 16 MiB a file, 64 levels of nesting, 200,000 nodes
once every alias is expanded, 256 characters a key, 1,000,000 a value; only YAML's core
tags. Expected lines are counted by hand from the texts written here; the random
documents are in test_hostile_yaml_fuzz.py."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from soc.config import load_scenario
from soc.config.loader import parse_override
from soc.config.messages import clip_values, without_union_tags
from soc.config.yaml_safe import check_node_limits, parse_yaml
from soc.energy.table import load_energy_table
from soc.errors import ConfigError
from soc.flexnn.timeloop_yaml import load_documents
from soc.limits import YamlLimits
from soc.sweeps.spec import read_spec

ROOT = Path(__file__).resolve().parents[3]
MINIMAL = "name: t\nworkload:\n  model: zoo:edge_cnn\n"  # 3 lines
TAG_REFUSED = "is not read (only YAML's plain types"


def write(folder: Path, text: str | bytes, name: str = "s.yaml") -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, overrides: tuple[str, ...] = ()) -> str:
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_scenario(path, overrides)
    assert time.perf_counter() - started < 5, "refusing took too long"
    message = str(info.value)
    assert "\n" not in message and len(message) < 400, message[:400]
    return message


def bomb(levels: int, fan: int, indent: str = "") -> str:
    """The billion-laughs document: level 0 is `fan` scalars, each next level `fan`
    aliases of the one before; one line per level."""
    names = [f"l{i}" for i in range(levels)]
    lines = [f"{indent}{names[0]}: &{names[0]} [{', '.join(['lol'] * fan)}]"]
    for prev, name in zip(names, names[1:], strict=False):
        lines.append(f"{indent}{name}: &{name} [{', '.join([f'*{prev}'] * fan)}]")
    return "\n".join(lines) + "\n"


def first_level_over(limit: int, fan: int) -> int:
    """The first level whose expansion has more than `limit` nodes: a level-0 sequence
    is 1 + fan nodes, level k is 1 + fan x (level k - 1)."""
    size, level = 1 + fan, 0
    while size <= limit:
        size, level = 1 + fan * size, level + 1
    return level


# -- the cases of the issue, each with its message ---------------------------------------


def test_an_alias_bomb_is_refused_at_the_level_that_passes_the_node_limit(tmp_path):
    path = write(tmp_path, MINIMAL + "x:\n" + bomb(9, 9, "  "))  # 9**9: 387 million nodes
    over = first_level_over(200_000, 9)  # 10, 91, 820, 7381, 66430, 597871
    assert over == 5
    line = 3 + 1 + over + 1  # after MINIMAL and 'x:', level 0 is on line 5
    assert error_of(path) == (
        f"{path}:{line}: expands to more than 200,000 nodes through its aliases"
    )


def test_an_alias_refering_to_its_own_node_is_refused(tmp_path):
    path = write(tmp_path, MINIMAL + "loop: &a [1, *a]\n")
    assert error_of(path) == f"{path}:4: an alias refers to a node that contains it"


def test_flow_nesting_5000_deep_is_refused(tmp_path):
    path = write(tmp_path, MINIMAL + "seed: 1\nx: " + "[" * 5000 + "]" * 5000 + "\n")
    assert error_of(path) == f"{path}:5: nested more than 64 levels deep"


def test_block_nesting_is_refused_at_the_line_of_the_65th_level(tmp_path):
    # the top mapping is level 1 on line 1; the mapping under the key on line k starts on
    # line k + 1 at level k + 1, so level 65 starts on line 65
    text = "".join("  " * depth + "a:\n" for depth in range(200)) + "  " * 200 + "x: 1\n"
    assert (
        error_of(write(tmp_path, text))
        == f"{tmp_path / 's.yaml'}:65: nested more than 64 levels deep"
    )


def test_nesting_through_aliases_counts_the_expanded_depth(tmp_path):
    inner = "[" * 40 + "1" + "]" * 40  # 40 levels; with the top mapping, 41
    outer = "[" * 40 + "*deep" + "]" * 40  # 40 more around the alias: 81 expanded
    path = write(tmp_path, MINIMAL + f"a: &deep {inner}\nb: {outer}\n")
    assert error_of(path) == f"{path}:5: nested more than 64 levels deep through its aliases"


@pytest.mark.parametrize(
    ("key", "kind"), [("? [a, b]\n: 1\n", "list"), ("? {a: 1}\n: 2\n", "mapping")]
)
def test_a_key_that_is_not_a_scalar_is_refused(tmp_path, key, kind):
    path = write(tmp_path, MINIMAL + "seed: 1\n" + key)
    assert error_of(path) == f"{path}:5: a key must be a plain value, not a {kind}"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("!!python/object:os.system x", "'!!python/object:os.system'"),
        ("!!python/object/apply:os.system [ls]", "'!!python/object/apply:os.system'"),
        ("!!python/name:os.system ''", "'!!python/name:os.system'"),
        ("!foo 7", "'!foo'"),
        ("!!binary aGVsbG8=", "'!!binary'"),
        ("!!set {a: null}", "'!!set'"),
        ("!!timestamp 2024-01-01", "'!!timestamp'"),
        ("!<tag:example.com,2000:x> 1", "'tag:example.com,2000:x'"),
    ],
)
def test_a_tag_outside_the_core_types_is_refused_with_its_line(tmp_path, value, shown):
    path = write(tmp_path, MINIMAL + f"seed: {value}\n")
    assert error_of(path).startswith(f"{path}:4: tag {shown} {TAG_REFUSED}")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!int seven", "'seven' is not a valid !!int"),
        ("!!float x", "'x' is not a valid !!float"),
        ("!!bool maybe", "'maybe' is not a valid !!bool"),
        ("!!int ''", "'' is not a valid !!int"),
        ("!!str [1]", "expected a scalar node, but found sequence"),
    ],
)
def test_a_value_its_core_tag_cannot_read_is_named(tmp_path, value, message):
    path = write(tmp_path, MINIMAL + f"seed: {value}\n")
    assert error_of(path) == f"{path}:4: {message}"


def test_a_core_tag_that_reads_its_value_is_taken(tmp_path):
    config = load_scenario(write(tmp_path, MINIMAL + "seed: !!int '12'\n"))
    assert config.seed == 12


def test_an_integer_of_5000_digits_is_refused_not_a_value_error(tmp_path):
    path = write(tmp_path, MINIMAL + "seed: " + "9" * 5000 + "\n")
    assert error_of(path) == (f"{path}:4: '{'9' * 60}'… (5,000 characters) is not a valid !!int")


def test_a_base_60_integer_too_long_to_read_quickly_is_refused(tmp_path):
    path = write(tmp_path, MINIMAL + "seed: 1" + ":59" * 100_000 + "\n")  # 300,001 chars
    shown = ("1" + ":59" * 20)[:60]  # the first 60 characters
    assert error_of(path) == f"{path}:4: '{shown}'… (300,001 characters) is not a valid !!int"
    config = load_scenario(write(tmp_path, MINIMAL + "seed: 1:30\n"))  # YAML 1.1: 60 + 30
    assert config.seed == 90


def test_an_over_long_key_is_refused_and_cut_in_the_message(tmp_path):
    path = write(tmp_path, MINIMAL + "k" * 300 + ": 1\n")
    assert error_of(path) == (
        f"{path}:4: key '{'k' * 60}'… (300 characters) is longer than 256 characters"
    )
    # a plain key is at most 1,024 characters (YAML's own limit); an explicit one is not
    path = write(tmp_path, MINIMAL + "seed: 1\n? " + "k" * 30_000 + "\n: 1\n")
    assert error_of(path) == (
        f"{path}:5: key '{'k' * 60}'… (30,000 characters) is longer than 256 characters"
    )


def test_a_10_mb_name_is_refused_quickly_in_one_short_line(tmp_path):
    path = write(tmp_path, MINIMAL.replace("name: t", "name: " + "x" * 10_000_000))
    assert error_of(path) == (
        f"{path}:1: a value of 10,000,000 characters (the limit is 1,000,000)"
    )


def test_a_30000_character_name_is_echoed_cut(tmp_path):
    path = write(tmp_path, MINIMAL.replace("name: t", "name: " + "x" * 30_000))
    message = error_of(path)  # error_of: one line of under 400 characters
    assert message.startswith(f"{path}:1: name: ") and "x" * 61 not in message


def test_a_file_over_the_size_limit_is_refused_by_its_size(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("wb") as stream:
        stream.truncate(17 * 2**20)  # sparse: 17 MiB by stat, nothing to read
    size = 17 * 2**20
    assert error_of(path) == (
        f"{path}: {size:,} bytes is over the limit of {16 * 2**20:,} for a YAML file"
    )


def test_a_folder_or_a_fifo_is_not_opened(tmp_path):
    assert error_of(tmp_path) == f"{tmp_path}: not a regular file"
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # opening it would wait for a writer
    assert error_of(fifo) == f"{fifo}: not a regular file"


def test_bytes_that_are_not_utf8_are_named_by_their_line(tmp_path):
    path = write(tmp_path, MINIMAL.encode() + b"seed: \xff\xfe\n")
    assert error_of(path) == f"{path}:4: not UTF-8 text (invalid start byte)"


def test_a_control_character_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, MINIMAL + "seed: 1\nrun: {trace_level: \x00}\n")
    assert error_of(path) == f"{path}:5: invalid YAML: character '\\x00' is not allowed"


def test_two_documents_are_refused(tmp_path):
    path = write(tmp_path, MINIMAL + "---\nname: u\n")
    assert error_of(path) == (
        f"{path}:4: invalid YAML: expected a single document in the stream, "
        "but found another document"
    )


def test_a_nul_character_in_a_value_is_refused(tmp_path):
    path = write(tmp_path, MINIMAL + 'soc:\n  base: "soc/\\0x.yaml"\n')
    assert error_of(path) == f"{path}:5: a value holds a NUL character ('\\0')"


def test_a_base_name_too_long_for_the_file_system_is_one_line(tmp_path):
    path = write(tmp_path, MINIMAL + "soc:\n  base: " + "b" * 300 + ".yaml\n")
    assert error_of(path) == (
        f"{path}: soc.base: '{'b' * 60}'… (305 characters): File name too long"
    )


def test_clip_values_cuts_quoted_values_long_words_and_long_messages():
    assert clip_values("x 'short' y") == "x 'short' y"
    assert clip_values(f"bad '{'q' * 100}'") == f"bad '{'q' * 60}'… (100 characters)"
    assert clip_values("w" * 200) == f"{'w' * 60}… (200 characters)"
    long = "ab " * 10_000  # 30,000 characters in short words
    assert clip_values(long) == f"{long[:500]}… (30,000 characters)"


def test_a_long_name_reads_as_one_short_line(tmp_path):
    """The name is cut where it is echoed; the quotes after it (the rule's own '-', '_')
    are left as they are, not taken for a long quoted value."""
    path = write(tmp_path, MINIMAL.replace("name: t", "name: " + "x" * 30_000))
    assert error_of(path) == (
        f"{path}:1: name: '{'x' * 60}'… (30,000 characters) is not a safe run folder name "
        "(letters, digits, '-', '_' and '.', not starting with '.', at most 100 characters)"
    )


def test_the_node_count_stops_composing_at_the_limit():
    limits = YamlLimits(max_nodes=100)
    # the top mapping, its key and the list are 3 nodes: the 98th item is node 101
    text = "a:\n" + "".join(f"  - {i}\n" for i in range(200))
    with pytest.raises(ConfigError) as info:
        parse_yaml(text, "f.yaml", limits=limits)
    assert str(info.value) == "f.yaml:99: more than 100 nodes"
    assert parse_yaml("a: [" + ", ".join(["1"] * 97) + "]", "f.yaml", limits=limits)[0]


def test_check_node_limits_on_a_node_composed_elsewhere():
    node = yaml.compose("a: !Component {b: &x [1, 2]}\nc: [*x, *x, *x]\n")
    # expanded: the list under c is 1 + 3 x 3 = 10 nodes; a's mapping 1 + 1 + 3 = 5; the
    # top mapping 1 + two keys + 5 + 10 = 18
    check_node_limits(node, "arch.yaml", YamlLimits(max_nodes=18), local_tags=True)
    with pytest.raises(ConfigError, match=r"^arch.yaml:1: tag '!Component' is not read"):
        check_node_limits(node, "arch.yaml")
    with pytest.raises(ConfigError, match=r"^arch.yaml:1: expands to more than 17 nodes"):
        check_node_limits(node, "arch.yaml", YamlLimits(max_nodes=17), local_tags=True)
    with pytest.raises(ConfigError, match=r"^arch.yaml:2: expands to more than 9 nodes"):
        check_node_limits(node, "arch.yaml", YamlLimits(max_nodes=9), local_tags=True)


# -- what stays readable ---------------------------------------------------------------


def test_a_date_like_name_stays_a_string(tmp_path):
    config = load_scenario(write(tmp_path, MINIMAL.replace("name: t", "name: 2024-01-01")))
    assert config.name == "2024-01-01"


def test_merge_keys_and_small_aliases_are_read(tmp_path):
    text = MINIMAL + "seed: &n 3\ndriver:\n  <<: {frames: 5, fps: 30}\n  fps: 60\n  frames: *n\n"
    config = load_scenario(write(tmp_path, text))
    assert (config.seed, config.driver.frames, config.driver.fps) == (3, 3, 60)


def test_plain_texts_that_yaml_1_1_would_type_stay_texts():
    # yaml.safe_load reads a date, and fails on the other two
    data, _ = parse_yaml("a: 2024-01-01\nb: =\nc: <<\n", "f.yaml")
    assert data == {"a": "2024-01-01", "b": "=", "c": "<<"}


def test_a_merged_key_is_checked_like_the_others(tmp_path):
    text = MINIMAL + "driver:\n  fps: 60\n  <<: {frames: 5, fpz: 30}\n"
    assert error_of(write(tmp_path, text)).endswith(":6: driver.fpz: unknown key")


# -- where an error is reported --------------------------------------------------------


def test_an_error_in_a_base_block_names_the_base_file_and_its_line(tmp_path):
    base = write(tmp_path, "cpu:\n  freq_hz: 2 GHz\ndram:\n  latency_ps: 60 nz\n", "base.yaml")
    path = write(tmp_path, MINIMAL + "soc:\n  base: base.yaml\n  cpu: {freq_hz: 1 GHz}\n")
    assert error_of(path).startswith(f"{base}:4: soc.dram.latency_ps: malformed duration")


def test_an_error_in_an_inline_key_over_a_base_names_the_scenario(tmp_path):
    write(tmp_path, "dram:\n  latency_ps: 60 ns\n", "base.yaml")
    path = write(tmp_path, MINIMAL + "soc:\n  base: base.yaml\n  dram: {latency_ps: 9 nz}\n")
    assert error_of(path).startswith(f"{path}:6: soc.dram.latency_ps: malformed duration")


def test_union_tags_do_not_show_in_key_paths(tmp_path):
    path = write(tmp_path, MINIMAL + "  per_layer:\n    conv1: bogus\n")
    message = error_of(path)
    assert message.startswith(f"{path}:5: workload.per_layer.conv1: "), message
    assert "literal[" not in message and "DescriptorConfig" not in message


def test_a_master_kind_does_not_show_in_its_key_path(tmp_path):
    path = write(tmp_path, MINIMAL + "masters:\n  - kind: camera\n    name: 5\n")
    message = error_of(path)
    assert message.startswith(f"{path}:6: masters[0].name: "), message


@pytest.mark.parametrize(
    ("loc", "data", "missing", "expected"),
    [
        (
            ("w", "dataflow", "literal['auto','is']"),
            {"w": {"dataflow": "x"}},
            False,
            ("w", "dataflow"),
        ),
        (
            ("w", "p", "c1", "DescriptorConfig", "k"),
            {"w": {"p": {"c1": {"k": 1}}}},
            False,
            ("w", "p", "c1", "k"),
        ),
        (("m", 0, "camera", "fps"), {"m": [{"kind": "camera"}]}, True, ("m", 0, "fps")),
        (("m", 0, "camera", "camera"), {"m": [{"camera": 1}]}, False, ("m", 0, "camera")),
        (("m", 0, "camera"), {"m": [{"kind": "camera"}]}, False, ("m", 0)),
        (("a", "Conv1"), {"a": {}}, True, ("a", "Conv1")),  # a missing key stays
        (("a", "function-after[check(), int]"), {"a": 1}, False, ("a",)),
        (("a", "b", "[key]"), {"a": {"b": 1}}, False, ("a", "b")),
        (("a", "x", "y"), {"a": {}}, True, ("a", "x", "y")),  # not tags: kept
    ],
)
def test_without_union_tags(loc, data, missing, expected):
    assert without_union_tags(loc, data, missing, ("camera",)) == expected


# -- the other YAML readers ------------------------------------------------------------


def test_a_binary_energy_table_is_one_line(tmp_path):
    path = write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00", "table.yaml")
    with pytest.raises(ConfigError) as info:
        load_energy_table(path)
    assert str(info.value) == f"{path}:1: not UTF-8 text (invalid start byte)"


def test_an_energy_table_of_the_wrong_shape_is_named_by_key(tmp_path):
    path = write(tmp_path, "name: t\nactions: [1, 2]\nstatic_power: {}\n", "table.yaml")
    with pytest.raises(ConfigError, match=r"table.yaml: actions: Input should be a valid dict"):
        load_energy_table(path)


def test_a_sweep_file_with_an_alias_bomb_is_refused(tmp_path):
    path = write(tmp_path, "base: s.yaml\n" + bomb(8, 10), "sweep.yaml")
    with pytest.raises(ConfigError) as info:
        read_spec(path)
    line = 1 + first_level_over(200_000, 10) + 1  # level 0 on line 2
    assert (
        str(info.value) == f"{path}:{line}: expands to more than 200,000 nodes through its aliases"
    )


def test_a_sweep_error_names_the_line_of_its_key(tmp_path):
    path = write(tmp_path, "base: s.yaml\naxes:\n  - path: seed\n    valeus: [1]\n", "sweep.yaml")
    with pytest.raises(ConfigError) as info:
        read_spec(path)
    assert str(info.value) == f"{path}:4: axes[0].valeus: unknown key"


def test_timeloop_yaml_takes_its_own_tags_and_refuses_python_ones(tmp_path):
    good = write(tmp_path, "architecture: !Component\n  name: pe\n", "arch.yaml")
    assert load_documents(good)[0] == {"architecture": {"name": "pe", "!": "Component"}}
    bad = write(tmp_path, "architecture: !!python/object:os.system x\n", "bad.yaml")
    with pytest.raises(ConfigError, match=rf"^{bad}:1: tag '!!python/object:os.system'"):
        load_documents(bad)
    deep = write(tmp_path, "architecture: " + "[" * 3000 + "]" * 3000 + "\n", "deep.yaml")
    with pytest.raises(ConfigError, match=rf"^{deep}:1: nested more than 64 levels deep"):
        load_documents(deep)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("seed=!!python/object:os.system x", f"tag '!!python/object:os.system' {TAG_REFUSED}"),
        ("seed=!!int seven", "'seven' is not a valid !!int"),
        ("name=" + "[" * 3000 + "]" * 3000, "nested more than 64 levels deep"),
        ("name={[a]: 1}", "a key must be a plain value, not a list"),
        ("name={a: 1, a: 2}", "a: duplicate key"),
    ],
)
def test_a_hostile_override_value_is_refused(tmp_path, override, message):
    with pytest.raises(ConfigError) as info:
        parse_override(override)
    assert str(info.value).startswith(f"--set {override}: {message}")


def test_an_override_over_several_lines_is_named_on_one(tmp_path):
    path = write(tmp_path, MINIMAL)
    assert error_of(path, ("seed=[1,\n",)) == "--set seed=[1,\\n: the value is not valid YAML"
    assert error_of(path, ("seed=|\n  seven\n",)).startswith("--set seed=|\\n  seven\\n: seed: ")


def test_an_alias_bomb_through_the_cli_is_one_line_and_exit_2(tmp_path):
    text = (ROOT / "scenarios" / "quickstart.yaml").read_text()
    path = write(tmp_path, text + "x-bomb:\n" + bomb(9, 9, "  "))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "soc", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.perf_counter() - started < 15
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "expands to more than 200,000 nodes" in lines[0], lines
    assert str(path) in lines[0]
