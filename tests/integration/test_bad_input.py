"""Wrong user input: one line naming what and where, exit code 2, no traceback, no output."""

import pytest

from .conftest import ROOT, soc

BASE = ROOT / "scenarios" / "soc" / "edge_npu.yaml"
GOOD = (ROOT / "scenarios" / "quickstart.yaml").read_text().replace("soc/edge_npu.yaml", str(BASE))


def scenario(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


CASES = {
    "unknown key": (GOOD + "extra_knob: 3\n", "extra_knob: unknown key"),
    "negative size": (
        GOOD.replace(f"  base: {BASE}", "  sram: {size_bytes: -2 MiB}"),
        "soc.sram.size_bytes: Input should be greater than 0",
    ),
    "malformed unit": (
        GOOD.replace(f"  base: {BASE}", "  flexnn: {freq_hz: 1.3 GHzz}"),
        "soc.flexnn.freq_hz: malformed frequency '1.3 GHzz'",
    ),
    "missing base file": (
        GOOD.replace(str(BASE), "soc/missing.yaml"),
        "soc.base: no such file 'soc/missing.yaml'",
    ),
    "unknown zoo model": (GOOD.replace("zoo:edge_cnn", "zoo:nonet"), "unknown zoo model 'nonet'"),
    "source naming no layer": (
        GOOD.replace(
            "  model: zoo:edge_cnn",
            "  layers:\n    - {name: conv, op: conv, c: 3, k: 8, h: 8, w: 8}\n"
            "    - {name: fc, op: fc, c: 512, k: 10, source: pooled}",
        ),
        ":9: workload.layers[1].source: 'pooled' is no earlier layer (earlier layers: conv); "
        "an input made outside the accelerator is written external:pooled",
    ),
    "per_layer naming no zoo layer": (
        GOOD.replace("  model: zoo:edge_cnn", "  model: zoo:edge_cnn\n  per_layer: {conv9: ws}"),
        ":8: workload.per_layer.conv9: no such layer (layers: conv1, dw2, pw3, conv4, fc5)",
    ),
    "sparsity per_layer naming no zoo layer": (
        GOOD.replace(
            "  model: zoo:edge_cnn",
            "  model: zoo:edge_cnn\n  sparsity: {per_layer: {conv9: {weights: 0.5}}}",
        ),
        ":8: workload.sparsity.per_layer.conv9: no such layer "
        "(layers: conv1, dw2, pw3, conv4, fc5)",
    ),
    "a master's key, named as written": (
        GOOD + "masters:\n  - {kind: display, name: lcd, width: 8, height: 8, bytes_per_pixel: 4,"
        " fps: 0}\n",
        ":17: masters[0].fps: Input should be greater than 0",  # the entry line
    ),
    "placement naming no endpoint": (
        GOOD.replace(f"  base: {BASE}", f"  base: {BASE}\n  noc: {{placement: {{gpu: 1}}}}"),
        ":6: soc.noc.placement.gpu: no such endpoint (endpoints: cpu, dma, dram, sram)",
    ),
}


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario(tmp_path, command, case):
    text, expected = CASES[case]
    path = scenario(tmp_path, text)
    out = tmp_path / "out"
    args = [command, str(path)] + (["--out", str(out)] if command == "run" else [])
    result = soc(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {path}")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [path]


def test_missing_scenario_file(tmp_path):
    path = tmp_path / "nope.yaml"
    result = soc("run", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr == f"error: {path}: no such file\n"


def test_unknown_option():
    result = soc("run", "--frobnicate")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "frobnicate" in result.stderr


LAYER = "    - {name: big, op: conv, c: 64, k: 64, h: 32, w: 32, r: 3, s: 3, padding: 1, "


@pytest.mark.parametrize(
    ("dataflow", "expected"),
    [
        (
            "{rows: K16, cols: Q16, rf: K4 R3 S3 C2, lanes: C8, sram: P32 Q2 C4}",
            "layer big (explicit): IF tile needs 144 B at the RF level but the IF register "
            "file holds 128 B",
        ),
        (
            "{rows: K16, cols: Q16, rf: K4 R3 S3, lanes: C8, sram: P32 Q2}",
            "layer big (explicit): factors of C multiply to 8, the layer has C = 64",
        ),
    ],
)
def test_descriptor_that_does_not_fit_or_cover_is_refused_at_validate(tmp_path, dataflow, expected):
    text = GOOD.replace("  model: zoo:edge_cnn", "  layers:\n" + LAYER + f"dataflow: {dataflow}}}")
    path = scenario(tmp_path, text)
    result = soc("validate", str(path))
    assert result.returncode == 2
    assert result.stderr == f"error: {path}: {expected}\n"


@pytest.mark.parametrize("command", ["run", "validate"])
def test_bad_override_on_the_command_line(tmp_path, command):
    path = scenario(tmp_path, GOOD)
    out = tmp_path / "out"
    args = [command, str(path), "--set", "soc.dram.arbitration=lottery"]
    result = soc(*args, *(["--out", str(out)] if command == "run" else []))
    assert result.returncode == 2
    assert result.stderr.startswith("error: --set soc.dram.arbitration=lottery: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
