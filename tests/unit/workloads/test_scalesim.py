"""SCALE-Sim topology CSV import: shapes, MACs, depthwise rows, padding, errors."""

import hashlib
import math
import re
from pathlib import Path

import pytest

from soc.errors import WorkloadError
from soc.workloads.models import GRAPHS
from soc.workloads.scalesim import load_scalesim
from soc.workloads.zoo import resnet50

DATA = Path(__file__).parent / "data" / "scalesim"
SHIPPED = sorted(p.name for p in DATA.glob("*.csv"))
HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
    "Num Filter, Strides,\n"
)


def _csv_rows(path: Path) -> list[list[int]]:
    """The file's numbers by position (H, W, R, S, C, K, stride), header and blank rows
    skipped: a reading independent of the loader's header lookup."""
    rows = []
    for line in path.read_text().splitlines()[1:]:
        cells = [c.strip() for c in line.split(",")]
        if any(cells):
            rows.append([int(c) for c in cells[1:8]])
    return rows


def _write(tmp_path: Path, text: str | bytes, name: str = "topo.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_shipped_files_are_byte_for_byte_the_sources():
    # the README lists each file's git blob hash (SHA-1 of "blob <size>\0" + bytes)
    readme = (DATA / "README.md").read_text()
    listed = dict(re.findall(r"`([\w.]+\.csv)` \| ([0-9a-f]{40})", readme))
    assert sorted(listed) == SHIPPED
    for name, blob in listed.items():
        data = (DATA / name).read_bytes()
        assert hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() == blob, name


def test_every_shipped_file_loads_with_one_layer_per_row():
    assert SHIPPED == [
        "Resnet50.csv",
        "alexnet.csv",
        "mobilenet.csv",
        "mobilnet_paper.csv",
        "yolo_tiny.csv",
    ]
    for name in SHIPPED:
        for padding in ("none", "same"):
            graph = load_scalesim(DATA / name, padding)
            assert len(graph.layers) == len(_csv_rows(DATA / name)), (name, padding)


@pytest.mark.parametrize("name", SHIPPED)
def test_macs_without_padding_are_scalesims_formula(name):
    # SCALE-Sim: P = (H - R) // stride + 1, MACs = P x Q x R x S x Channels x Num Filter
    expected = sum(
        ((h - r) // st + 1) * ((w - s) // st + 1) * r * s * c * k
        for h, w, r, s, c, k, st in _csv_rows(DATA / name)
    )
    assert load_scalesim(DATA / name).macs == expected


@pytest.mark.parametrize("name", SHIPPED)
def test_macs_with_same_padding_keep_ceil_of_size_over_stride(name):
    # every kernel in these files is odd: 'same' gives P = ceil(H / stride)
    rows = _csv_rows(DATA / name)
    assert all(r % 2 and s % 2 for _, _, r, s, _, _, _ in rows)
    expected = sum(
        math.ceil(h / st) * math.ceil(w / st) * r * s * c * k for h, w, r, s, c, k, st in rows
    )
    assert load_scalesim(DATA / name, "same").macs == expected


def test_row_macs_by_hand():
    resnet = {n.name: n for n in load_scalesim(DATA / "Resnet50.csv").nodes}
    # Conv1: 224, 7x7, stride 2, no padding: P = 217 // 2 + 1 = 109
    assert resnet["Conv1"].shape == (64, 109, 109)
    assert resnet["Conv1"].macs == 109 * 109 * 7 * 7 * 3 * 64 == 111_776_448
    # CB2a_2: 56, 3x3, 64 -> 64: P = 54
    assert resnet["CB2a_2"].macs == 54 * 54 * 9 * 64 * 64 == 107_495_424
    # FC6: 2048 -> 1000
    assert resnet["FC6"].macs == 2_048_000
    mobilenet = {n.name: n for n in load_scalesim(DATA / "mobilenet.csv").nodes}
    # Conv4, depthwise: 112, 3x3, stride 2, 64 channels: P = 109 // 2 + 1 = 55
    assert mobilenet["Conv4"].macs == 55 * 55 * 9 * 64 == 1_742_400


def test_same_padding_gives_the_networks_sizes():
    nodes = {n.name: n for n in load_scalesim(DATA / "Resnet50.csv", "same").nodes}
    # 7x7 / 2 with 3 on each side: (224 + 6 - 7) // 2 + 1 = 112
    assert nodes["Conv1"].layer.pads == (3, 3, 3, 3)
    assert nodes["Conv1"].shape == (64, 112, 112)
    assert nodes["CB2a_2"].layer.pads == (1, 1, 1, 1)
    assert nodes["CB2a_2"].shape == (64, 56, 56)
    assert nodes["CB3a_1"].layer.pads == (0, 0, 0, 0)
    assert nodes["CB3a_1"].shape == (128, 28, 28)


# ResNet-50 v1 (the CSV, zoo:resnet50_v1) strides the first 1x1 conv of stages 3-5;
# v1.5 (zoo:resnet50) strides the 3x3 conv after it. Those six layers differ in stride
# and size only.
V1_STRIDED_1X1 = {"CB3a_1", "CB4a_1", "CB5a_1"}
V1_UNSTRIDED_3X3 = {"CB3a_2", "CB4a_2", "CB5a_2"}


def test_resnet50_file_with_same_padding_equals_the_zoo_resnet50_v1():
    """The file is ResNet-50 v1; with `same` padding every conv and the classifier equal
    the zoo's `resnet50_v1` field for field, in order."""
    ours = load_scalesim(DATA / "Resnet50.csv", "same").layers
    zoo = GRAPHS["resnet50_v1"]().layers
    assert len(ours) == len(zoo) == 54
    fields = ("op", "c", "k", "h", "w", "r", "s", "stride", "pads", "groups", "p", "q")
    for got, want in zip(ours, zoo, strict=True):
        assert [getattr(got, f) for f in fields] == [getattr(want, f) for f in fields], got.name


def test_resnet50_file_and_zoo_v1_5_differ_only_in_six_strides():
    ours = load_scalesim(DATA / "Resnet50.csv", "same").nodes
    zoo = resnet50()
    fields = ("op", "c", "k", "r", "s", "pads", "groups")
    for node, want in zip(ours, zoo, strict=True):
        got = node.layer
        assert [getattr(got, f) for f in fields] == [getattr(want, f) for f in fields], node.name
        size = (got.h, got.w, got.stride, got.p, got.q)
        if node.name in V1_STRIDED_1X1:
            # the file's 1x1 halves the size, the zoo's keeps it
            assert want.stride == 1, node.name
            assert size == (want.h, want.w, 2, want.p // 2, want.q // 2), node.name
        elif node.name in V1_UNSTRIDED_3X3:
            # the file's 3x3 reads the halved size, the zoo's halves it: same output
            assert want.stride == 2, node.name
            assert size == (want.h // 2, want.w // 2, 1, want.p, want.q), node.name
        else:
            assert size == (want.h, want.w, want.stride, want.p, want.q), node.name


def test_resnet50_v1_and_v1_5_macs_differ_by_the_moved_strides():
    # moving the stride from the 3x3 to the 1x1 before it shrinks the 1x1's output from
    # S x S to S/2 x S/2: 3/4 x S^2 x C_in x width fewer MACs, the same in each stage
    moved = sum(
        3 * size * size * c_in * width // 4
        for size, c_in, width in ((56, 256, 128), (28, 512, 256), (14, 1024, 512))
    )
    assert moved == 3 * 77_070_336
    zoo_macs = sum(layer.macs for layer in resnet50())  # with the classifier, as the file
    assert load_scalesim(DATA / "Resnet50.csv", "same").macs == zoo_macs - moved


def test_depthwise_rows_become_depthwise_convolutions():
    nodes = {n.name: n for n in load_scalesim(DATA / "mobilenet.csv", "same").nodes}
    dw = nodes["Conv2"].layer  # 112, 3x3, Channels 32, Num Filter 1
    assert (dw.op, dw.c, dw.k, dw.groups, dw.p) == ("dwconv", 32, 32, 32, 112)
    assert nodes["Conv3"].inputs == ("Conv2",)  # the pointwise conv reads all 32 maps
    paper = {n.name: n for n in load_scalesim(DATA / "mobilnet_paper.csv").nodes}
    one = paper["Conv2_dw"].layer  # Channels 1, Num Filter 1: one channel, as written
    assert (one.op, one.c, one.k, one.groups) == ("conv", 1, 1, 1)


def test_a_dp_row_is_a_depthwise_layer_with_a_channel_multiplier(tmp_path):
    # scale-sim-v2 runs a 'DP' row as Channels one-channel layers of Num Filter filters
    path = _write(tmp_path, HEADER + "Conv2DP, 8, 8, 3, 3, 4, 2, 1,\n")
    layer = load_scalesim(path).layers[0]
    assert (layer.c, layer.k, layer.groups, layer.p) == (4, 8, 4, 6)
    assert layer.macs == 4 * (6 * 6 * 3 * 3 * 1 * 2)


def test_fc_rows_are_fully_connected_layers():
    fc = load_scalesim(DATA / "Resnet50.csv").nodes[-1]
    assert (fc.kind, fc.layer.c, fc.layer.k, fc.shape) == ("fc", 2048, 1000, (1000,))
    assert fc.inputs == ("FC6:input",)


def test_rows_chain_only_when_shapes_match():
    graph = load_scalesim(DATA / "Resnet50.csv", "same")
    nodes = {n.name: n for n in graph.nodes}
    assert nodes["CB2a_2"].inputs == ("CB2a_1",)
    assert nodes["CB2a_1"].inputs == ("CB2a_1:input",)  # after the max pooling
    assert nodes["CB2s"].inputs == ("CB2s:input",)  # the block input, not CB2a_3's output
    assert graph.shape("CB2s:input") == (64, 56, 56)
    assert "CB2a_3" in graph.outputs and "CB2a_2" not in graph.outputs
    unpadded = {n.name: n for n in load_scalesim(DATA / "Resnet50.csv").nodes}
    assert unpadded["CB2a_3"].inputs == ("CB2a_3:input",)  # CB2a_2 made 54 x 54


def test_tolerated_layout(tmp_path):
    text = (
        "\ufefflayer NAME,ifmap height , IFMAP  Width,Filter Height,Filter Width,Channels,"
        "Num Filter,Stride height,Stride width,Notes\r\n"
        "\r\n"
        ",,,,,,,,\r\n"
        "\tA , 8 , 8 , 3 , 3 , 2 , 4 , 1 , 1 , #x\r\n"
        "B,6,6,1,1,4,5,1\r\n"
    )
    graph = load_scalesim(_write(tmp_path, text.encode()))
    assert [n.name for n in graph.nodes] == ["A", "B"]
    assert graph.nodes[1].inputs == ("A",)


def test_unknown_padding_is_refused():
    with pytest.raises(WorkloadError, match="padding 'valid' is not one of none, same"):
        load_scalesim(DATA / "alexnet.csv", "valid")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "topo.csv, line 1: the file is empty"),
        ("\n  \n,,,\n", "topo.csv, line 1: the file is empty"),
        (HEADER, "topo.csv, line 1: the header is followed by no layers"),
        (
            "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,\nA,1\n",
            "topo.csv, line 1: the header has no 'Num Filter', 'Strides' column",
        ),
        (
            HEADER + "A,8,8,3,3,2,4,1,\n\nB,8,8,3,x,2,4,1,\n",
            "topo.csv, line 4: 'Filter Width' is 'x', not a positive integer",
        ),
        (HEADER + "A,8,8,3,3,0,4,1,\n", "topo.csv, line 2: 'Channels' is '0', not a positive"),
        (HEADER + "A,8,-8,3,3,2,4,1,\n", "topo.csv, line 2: 'IFMAP Width' is '-8', not a posi"),
        (HEADER + "A,8,8,3,3,2,4.0,1,\n", "topo.csv, line 2: 'Num Filter' is '4.0', not a posi"),
        (HEADER + "A,8,8,3,3,2,4\n", "topo.csv, line 2: 'Strides' is missing"),
        (HEADER + ",8,8,3,3,2,4,1\n", "topo.csv, line 2: 'Layer name' is missing"),
        (
            HEADER + "A,2,8,3,3,2,4,1,\n",
            "topo.csv, line 2: filter 3x3 is larger than the 2x8 input (padding none)",
        ),
        (
            HEADER + "A,8,8,3,3,2,4,1,\nA,8,8,3,3,2,4,1,\n",
            "topo.csv, line 3: layer name 'A' is used twice (first on line 2)",
        ),
        (
            HEADER.replace("Strides", "Stride height, Stride width") + "A,8,8,3,3,2,4,1,2,\n",
            "topo.csv, line 2: stride 1 x 2 (height x width); only equal strides",
        ),
        (
            "Layer, M, N, K,\nfc1, 128, 256, 512,\n",
            "topo.csv, line 1: the header has no 'Layer name', 'IFMAP Height'",
        ),
    ],
)
def test_errors_name_the_file_and_line(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(WorkloadError) as error:
        load_scalesim(path)
    assert str(error.value).startswith(str(path.parent) + "/")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_non_utf8_names_the_line(tmp_path):
    path = _write(tmp_path, (HEADER + "A,8,8,3,3,2,4,1,\nB\xe9,8,8,3,3,2,4,1,\n").encode("latin-1"))
    with pytest.raises(WorkloadError, match=r"topo.csv, line 3: the file is not UTF-8 text"):
        load_scalesim(path)


def test_a_missing_file_is_a_workload_error(tmp_path):
    with pytest.raises(WorkloadError, match="nothere.csv: cannot read the topology file"):
        load_scalesim(tmp_path / "nothere.csv")


def test_filter_larger_than_input_is_fine_once_padded(tmp_path):
    path = _write(tmp_path, HEADER + "A,2,2,3,3,2,4,1,\n")
    assert load_scalesim(path, "same").nodes[0].shape == (4, 2, 2)
