"""Every value of a scenario is checked: numbers finite and within bounds the arithmetic
survives, booleans not numbers, names safe path components, cross-references naming
things that exist. A wrong value is one ConfigError naming the file, the line and the
key path; through the CLI, one line on stderr and exit code 2.

The expected lines below are counted by hand in the YAML each test writes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from soc.config import load_scenario
from soc.errors import ConfigError, FlexsocError

ROOT = Path(__file__).resolve().parents[3]

HEAD = """\
name: t
seed: 0
workload:
  model: zoo:edge_cnn
"""  # lines 1-4; what a test appends starts at line 5


def error_of(tmp_path: Path, text: str, *overrides: str) -> tuple[Path, str]:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scenario(path, overrides)
    message = str(info.value)
    assert "\n" not in message
    return path, message


# -- booleans are not numbers, numbers are not booleans -----------------------------------


def test_seed_true_is_refused(tmp_path):
    path, message = error_of(tmp_path, HEAD.replace("seed: 0", "seed: true"))
    assert message == f"{path}:2: seed: expected a number, not the boolean true"


def test_frames_true_is_refused(tmp_path):
    path, message = error_of(tmp_path, HEAD + "driver:\n  frames: true\n")
    assert message == f"{path}:6: driver.frames: expected a number, not the boolean true"


def test_a_boolean_in_a_mapping_of_numbers_is_refused_at_its_key(tmp_path):
    text = HEAD + "soc:\n  cpu:\n    fallback:\n      per_kind: {softmax: true}\n"
    path, message = error_of(tmp_path, text)
    assert message == (
        f"{path}:8: soc.cpu.fallback.per_kind.softmax: expected a number, not the boolean true"
    )


def test_a_number_is_no_switch(tmp_path):
    path, message = error_of(tmp_path, HEAD + "run:\n  plots: 1\n")
    assert message == f"{path}:6: run.plots: expected true or false, got 1"


def test_a_whole_float_counts_but_a_fraction_does_not(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + "driver:\n  frames: 2.0\n", encoding="utf-8")
    assert load_scenario(path).driver.frames == 2
    path, message = error_of(tmp_path, HEAD + "driver:\n  frames: 2.5\n")
    assert message.startswith(f"{path}:6: driver.frames: Input should be a valid integer")


# -- finite, bounded numbers -----------------------------------------------------------------


def test_a_frame_rate_whose_period_exceeds_1e6_s_is_refused(tmp_path):
    path, message = error_of(tmp_path, HEAD + "driver:\n  fps: 1e-30\n")
    assert message == (
        f"{path}:6: driver.fps: 1e-30 Hz is too small: at least 1e-06 (a period of 1e6 s)"
    )


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_nan_and_inf_are_refused(tmp_path, value):
    path, message = error_of(tmp_path, HEAD + f"driver:\n  fps: {value}\n")
    assert message == f"{path}:6: driver.fps: Input should be a finite number"


def test_nan_in_a_float_field_deep_down_is_refused(tmp_path):
    text = HEAD + "soc:\n  cpu:\n    fallback: {cycles_per_mac: .nan}\n"
    path, message = error_of(tmp_path, text)
    assert message == f"{path}:7: soc.cpu.fallback.cycles_per_mac: Input should be a finite number"


def test_a_deadline_of_1e30_s_is_refused(tmp_path):
    path, message = error_of(tmp_path, HEAD + "driver:\n  deadline_ps: 1e30 s\n")
    # 1e30 s = 1e42 ps; the bound is 1e6 s = 1e18 ps
    assert message == (
        f"{path}:6: driver.deadline_ps: 1e+42 ps is too large: at most 1e6 s (1e+18 ps)"
    )


def test_a_latency_of_1e30_s_is_refused(tmp_path):
    path, message = error_of(tmp_path, HEAD + "soc:\n  dram:\n    latency_ps: 1e30 s\n")
    assert message.startswith(f"{path}:7: soc.dram.latency_ps: 1e+42 ps is too large")


def test_a_size_of_1e30_b_is_refused(tmp_path):
    path, message = error_of(tmp_path, HEAD + "soc:\n  sram:\n    size_bytes: 1e30 B\n")
    assert message == (
        f"{path}:7: soc.sram.size_bytes: 1e+30 B is too large: at most 1 PiB (2**50 B)"
    )


def test_an_infinite_rate_is_refused(tmp_path):
    text = HEAD + "soc:\n  dram:\n    regulators:\n      cpu: {rate_bytes_per_s: .inf}\n"
    path, message = error_of(tmp_path, text)
    assert message.startswith(f"{path}:8: soc.dram.regulators.cpu.rate_bytes_per_s: ")
    assert "finite" in message


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("soc:\n  dram:\n    bandwidth_bytes_per_s: 1e-30 B/s\n", 7, "soc.dram"),
        (
            "soc:\n  dram:\n    regulators:\n      cpu: {rate_bytes_per_s: 1e-30 B/s}\n",
            8,
            "soc.dram.regulators.cpu",
        ),
    ],
)
def test_a_bandwidth_below_1_byte_a_second_is_refused(tmp_path, text, line, key):
    path, message = error_of(tmp_path, HEAD + text)
    field = "bandwidth_bytes_per_s" if key == "soc.dram" else "rate_bytes_per_s"
    assert message == (f"{path}:{line}: {key}.{field}: 1e-30 B/s is too small: at least 1 B/s")


def test_a_count_beyond_2_31_is_refused(tmp_path):
    text = HEAD + "soc:\n  dma:\n    max_outstanding: 1000000000000\n"
    path, message = error_of(tmp_path, text)
    assert message == (f"{path}:7: soc.dma.max_outstanding: 1e+12 is too large: at most 2147483647")


def test_hardware_built_unit_by_unit_is_bounded(tmp_path):
    path, message = error_of(tmp_path, HEAD + "soc:\n  sram:\n    banks: 1000000\n")
    assert message == (
        f"{path}:7: soc.sram.banks: 1e+06 is too large: at most 4096 (each is built as an object)"
    )
    text = HEAD + "soc:\n  dram:\n    banked:\n"
    text += "      {channels: 64, ranks: 16, bankgroups: 16, banks_per_group: 8}\n"
    path, message = error_of(tmp_path, text)
    # 64 x 16 x 16 x 8 = 131072
    assert message == (
        f"{path}:7: soc.dram.banked: channels x ranks x bankgroups x banks_per_group is "
        "131072 banks, more than 65536 (each is simulated as an object)"
    )


@pytest.mark.parametrize(
    ("value", "what"),
    [("5 parsecs", "unknown unit 'parsecs'"), ("1 GHz", "unknown unit 'GHz'")],
)
def test_an_absurd_unit_on_a_size_is_refused(tmp_path, value, what):
    path, message = error_of(tmp_path, HEAD + f"soc:\n  sram:\n    size_bytes: {value}\n")
    assert message.startswith(f"{path}:7: soc.sram.size_bytes: malformed size '{value}': {what}")


def test_a_huge_unit_string_is_refused_at_once_and_cut(tmp_path):
    started = time.perf_counter()
    path, message = error_of(tmp_path, HEAD + f"driver:\n  deadline_ps: '5 {'x ' * 200_000}'\n")
    assert time.perf_counter() - started < 5
    assert message.startswith(f"{path}:6: driver.deadline_ps: malformed duration '5 x x")
    assert "(400,002 characters)" in message and len(message) < 300


# -- cross-references and shapes -------------------------------------------------------------


def test_banked_given_a_number_is_a_config_error(tmp_path):
    text = HEAD + "soc:\n  dram:\n    preset: LPDDR4-3200\n    banked: 5\n"
    path, message = error_of(tmp_path, text)
    assert message.startswith(f"{path}:8: soc.dram.banked: Input should be a valid dictionary")


def test_an_unknown_noc_endpoint_is_refused_with_the_endpoints(tmp_path):
    text = HEAD + "soc:\n  noc:\n    topology: ring\n    placement: {gpu: 1}\n"
    path, message = error_of(tmp_path, text)
    assert message == (
        f"{path}:8: soc.noc.placement.gpu: no such endpoint (endpoints: cpu, dma, dram, sram)"
    )


GENERATOR = "masters:\n  - {{kind: generator, name: gen, rate_bytes_per_s: 1 GB/s, {}}}\n"


def test_a_generator_region_larger_than_the_dram_is_refused(tmp_path):
    text = HEAD + "soc:\n  dram: {size_bytes: 1 GiB}\n" + GENERATOR.format("region_bytes: 2 GiB")
    path, message = error_of(tmp_path, text)
    assert message == (
        f"{path}:8: masters[0].region_bytes: its buffer of 2147483648 B is larger than the "
        "DRAM (soc.dram.size_bytes: 1073741824 B)"
    )


def test_a_generator_region_smaller_than_a_request_is_refused(tmp_path):
    text = HEAD + GENERATOR.format("request_bytes: 256, region_bytes: 64")
    path, message = error_of(tmp_path, text)
    assert message == (
        f"{path}:6: masters[0].region_bytes: 64 B holds no request of 256 B (request_bytes)"
    )


def test_a_generator_sending_faster_than_a_request_a_picosecond_is_refused(tmp_path):
    # 64 B at 1 PB/s: one every 0.064 ps
    text = HEAD + "masters:\n  - {kind: generator, name: g, rate_bytes_per_s: 1e15, "
    text += "request_bytes: 64}\n"
    path, message = error_of(tmp_path, text)
    assert message.startswith(f"{path}:6: masters[0].rate_bytes_per_s: 1e+15 B/s sends")
    assert "every 0.064 ps" in message


def test_an_inline_per_layer_entry_naming_no_layer_is_refused(tmp_path):
    text = (
        "name: t\nworkload:\n  layers:\n    - {name: a, op: fc, c: 8, k: 8}\n  per_layer: {b: ws}\n"
    )
    path, message = error_of(tmp_path, text)
    assert message == f"{path}:5: workload.per_layer.b: no such layer (layers: a)"


def test_a_per_layer_entry_naming_no_layer_of_a_zoo_model_fails_planning(tmp_path):
    from soc.plan.pipelines import plan_scenario

    path = tmp_path / "s.yaml"
    path.write_text(HEAD + "  per_layer: {conv9: ws}\nrun: {mapping_cache: false}\n")
    config = load_scenario(path)
    with pytest.raises(FlexsocError) as info:
        plan_scenario(config)
    # edge_cnn's layers (soc/workloads/zoo.py): conv1, dw2, pw3, conv4, fc5
    assert str(info.value) == (
        "workload.per_layer.conv9: no such layer (layers: conv1, dw2, pw3, conv4, fc5)"
    )


def test_a_descriptor_error_names_its_key_not_the_dataflow_names(tmp_path):
    text = HEAD + "  per_layer:\n    conv1: {rf: R3, colz: K4}\n"
    path, message = error_of(tmp_path, text)
    assert message == f"{path}:6: workload.per_layer.conv1.colz: unknown key"


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".hidden", "a\\\\b"])
def test_an_inline_layer_name_is_a_safe_path_component(tmp_path, name):
    text = f'name: t\nworkload:\n  layers:\n    - {{name: "{name}", op: fc, c: 8, k: 8}}\n'
    path, message = error_of(tmp_path, text)
    assert message.startswith(f"{path}:4: workload.layers[0].name: ")
    assert "is not a safe layer name" in message


def test_a_master_name_is_plain_and_short(tmp_path):
    text = HEAD + GENERATOR.replace("name: gen", "name: " + "g" * 41).format("region_bytes: 1 MiB")
    path, message = error_of(tmp_path, text)
    assert message.startswith(f"{path}:6: masters[0].name: 'ggg")
    assert "at most 40 characters" in message


def test_a_long_name_is_refused_fast_in_a_short_line(tmp_path):
    started = time.perf_counter()
    path, message = error_of(tmp_path, HEAD.replace("name: t", "name: " + "n" * 900_000))
    assert time.perf_counter() - started < 10
    assert message.startswith(f"{path}:1: name: ")
    assert len(message) < 400


# -- through the CLI: one line, exit code 2 --------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        HEAD.replace("seed: 0", "seed: true"),
        HEAD + "driver:\n  fps: 1e-30\n",
        HEAD + "soc:\n  sram:\n    size_bytes: 1e30 B\n",
        HEAD + "soc:\n  dram:\n    preset: LPDDR4-3200\n    banked: 5\n",
        HEAD + GENERATOR.format("region_bytes: 64 GiB"),
    ],
)
def test_soc_validate_prints_one_line_and_exits_2(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "soc", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "FLEXSOC_CACHE_DIR": str(tmp_path / "cache"),
            "PYTHONPATH": str(ROOT),
        },  # fmt: skip
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0], done.stderr


def test_frames_that_start_beyond_1e6_s_are_refused(tmp_path):
    # 2,000,001 frames at 1 fps: the last starts 2e6 s after the first
    path, message = error_of(tmp_path, HEAD + "driver:\n  frames: 2000001\n  fps: 1\n")
    assert message == (
        f"{path}:6: driver.frames: 2000001 frames at 1 fps start over 2e+06 s, beyond 1e6 s"
    )


def test_a_preset_given_as_a_list_is_a_config_error(tmp_path):
    path, message = error_of(tmp_path, HEAD + "soc:\n  dram:\n    preset: [DDR4-3200]\n")
    assert message.startswith(f"{path}:7: soc.dram.preset: Input should be ")


def test_an_external_tensor_name_is_a_safe_name(tmp_path):
    text = (
        "name: t\nworkload:\n  layers:\n    - {name: a, op: fc, c: 8, k: 8}\n"
        "    - {name: b, op: fc, c: 8, k: 8, source: 'external:../up'}\n"
    )
    path, message = error_of(tmp_path, text)
    assert message.startswith(f"{path}:5: workload.layers[1].source: '../up' is not a safe")


def test_an_inline_layer_too_large_to_count_is_refused(tmp_path):
    # 2**21 x 2**21 input of 1 channel: 2**42 elements, over 2**40
    text = "name: t\nworkload:\n  layers:\n    - {name: a, op: conv, c: 1, k: 1, "
    text += "h: 2097152, w: 2097152}\n"
    path, message = error_of(tmp_path, text)
    assert message == (
        f"{path}:4: workload.layers[0]: its input tensor has 4.4e+12 elements, more than "
        "2**40 (1.1e+12)"
    )


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("scale", "1e-30", "scale: Input should be greater than or equal to 0.000001"),
        ("resize", "[100000, 100000]", "resize[0]: Input should be less than or equal to 16384"),
    ],
)
def test_measure_preprocessing_is_bounded(tmp_path, key, value, expected):
    text = HEAD + f"  sparsity:\n    measure: {{input: x.png, {key}: {value}}}\n"
    path, message = error_of(tmp_path, text)
    assert message.startswith(f"{path}:6: workload.sparsity.measure.{expected}")
