"""Hostile data files: every file the simulator reads is checked against the size limit
before it is read, and a truncated, corrupted or wrong-kind file is refused with one
line naming the file and the line, node, entry or row group; nothing is unpickled.
Files are built here, byte by byte where the damage has to be exact."""

import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.lib import format as npy_format
from onnx import TensorProto, helper

from soc.errors import FlexsocError, InputError, OutputError, TraceFormatError, WorkloadError
from soc.kernel.vocab import Level, SpanKind
from soc.limits import MAX_INPUT_ENV
from soc.plan import mappings
from soc.report.run_data import read_summary
from soc.runner.replay import run_source, streams_from_rows
from soc.trace import Tracer
from soc.trace.memtrace import read_dramsim3, read_ramulator2
from soc.trace.native import NativeTraceSink, read_native
from soc.workloads.activations import npy_input
from soc.workloads.onnx_import import load_onnx
from soc.workloads.scalesim import load_scalesim
from soc.workloads.tensors import load_arrays

HEADER = (
    "Layer name,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,Num Filter,Strides"
)
TOPOLOGY = f"{HEADER}\nconv1,8,8,3,3,4,8,1\nconv2,6,6,1,1,8,8,1\n"


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def onnx_bytes(op: str = "Relu", name: str = "relu1") -> bytes:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])
    node = helper.make_node(op, ["x"], ["y"], name=name)
    graph = helper.make_graph([node], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    return model.SerializeToString()


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# --- arrays (.npy / .npz) -----------------------------------------------------------------


def test_a_corrupt_npz_is_refused_naming_the_file(tmp_path):
    good = npz_bytes(**{"conv1.IF": np.ones((4, 8, 8))})
    truncated = write(tmp_path / "cut.npz", good[: len(good) // 2])
    with pytest.raises(WorkloadError, match=r"arrays: .*cut\.npz: not an \.npz file, or truncated"):
        load_arrays(truncated)


def test_a_corrupted_npz_entry_is_named(tmp_path):
    good = bytearray(npz_bytes(**{"conv1.IF": np.ones((4, 8, 8))}))
    good[200] ^= 0xFF  # inside the entry's data (its local header is 30 + 12 bytes)
    path = write(tmp_path / "flip.npz", bytes(good))
    with pytest.raises(WorkloadError, match=r"flip\.npz, entry 'conv1\.IF\.npy': corrupted"):
        load_arrays(path)


def test_a_pickled_array_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled"

    class Trap:  # unpickling it would create `marker`
        def __reduce__(self):
            return (open, (str(marker), "w"))

    objects = np.array([Trap()], dtype=object)
    npy = write(tmp_path / "trap.npy", npy_bytes(objects, allow_pickle=True))
    buffer = io.BytesIO()
    np.savez(buffer, **{"conv1.IF": objects}, allow_pickle=True)
    npz = write(tmp_path / "trap.npz", buffer.getvalue())
    raw = write(tmp_path / "raw.npz", pickle.dumps({"conv1.IF": 1}))
    with pytest.raises(WorkloadError, match=r"trap\.npy: holds Python objects \(dtype object\)"):
        load_arrays(npy)
    with pytest.raises(WorkloadError, match=r"trap\.npz, entry 'conv1\.IF\.npy': holds Python"):
        load_arrays(npz)
    with pytest.raises(WorkloadError, match=r"raw\.npz: not an \.npz or \.npy file"):
        load_arrays(raw)
    with pytest.raises(WorkloadError, match=r"measure\.input: .*trap\.npy: holds Python objects"):
        npy_input(npy, [1, 1])
    assert not marker.exists()


def test_a_truncated_npy_is_refused(tmp_path):
    data = npy_bytes(np.ones((10, 10)))  # a 128-byte header, 800 bytes of data
    path = write(tmp_path / "short.npy", data[:-8])
    message = r"short\.npy: truncated: its header says 10x10 float64 \(800 bytes\), the file "
    with pytest.raises(WorkloadError, match=message + r"holds 792 bytes"):
        load_arrays(path)


def test_a_header_claiming_terabytes_allocates_nothing(tmp_path):
    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(
        buffer, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    path = write(tmp_path / "huge.npy", buffer.getvalue() + b"\0" * 16)
    with pytest.raises(WorkloadError, match=r"huge\.npy: truncated: .*8,000,000,000,000 bytes"):
        npy_input(path, [1, 10**12])


def test_an_npz_entry_that_is_not_an_array_is_named(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    path = write(tmp_path / "notes.npz", buffer.getvalue())
    with pytest.raises(WorkloadError, match=r"notes\.npz, entry 'notes\.txt': not an \.npy array"):
        load_arrays(path)


def test_an_npz_inflating_past_the_limit_is_refused_before_inflating(tmp_path, monkeypatch):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{"conv1.IF": np.zeros(2**20)})  # 8 MiB of zeros: ~8 kB
    path = write(tmp_path / "bomb.npz", buffer.getvalue())
    assert path.stat().st_size < 2**20
    monkeypatch.setenv(MAX_INPUT_ENV, "1")  # 1 MiB: the file fits, its arrays do not
    with pytest.raises(InputError, match=r"bomb\.npz: .*inflate to 8,388,7\d\d bytes, over"):
        load_arrays(path)


# --- ONNX ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"m\.onnx: not an ONNX model \(the file is empty\)"),
        ("ir_version: 7\ngraph { }\n", r"m\.onnx: not an ONNX model \(malformed or truncated"),
        (onnx_bytes()[:-9], r"m\.onnx: not an ONNX model \(malformed or truncated"),
        (onnx_bytes("NoSuchOp", "weird"), r"m\.onnx, node weird \(NoSuchOp\): not a valid ONNX"),
    ],
    ids=["empty", "text", "truncated", "unknown-op"],
)
def test_a_broken_onnx_file_is_refused(tmp_path, data, message):
    with pytest.raises(WorkloadError, match=message):
        load_onnx(write(tmp_path / "m.onnx", data))


def test_the_model_built_here_imports(tmp_path):  # the corruptions below start from it
    graph = load_onnx(write(tmp_path / "m.onnx", onnx_bytes()))
    assert [(n.name, n.op_type) for n in graph.nodes] == [("relu1", "Relu")]


# --- SCALE-Sim CSV ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"t\.csv, line 1: the file is empty"),
        (HEADER.encode() + b"\n\xff\xfe\x00\x01,8\n", r"t\.csv, line 2: the file is not UTF-8"),
        (TOPOLOGY.encode("utf-16"), r"t\.csv, line 1: UTF-16 text; save the topology as UTF-8"),
        ("," * 10_000_000 + "\n", r"t\.csv, line 1: 10,000,001 cells \(at most 1,024\)"),
        (f"{HEADER}\nconv1,8,8,3,3,four,8,1\n", r"line 2: 'Channels' is 'four', not a positive"),
        (f"{HEADER}\nc1,8,8,3,3,{'9' * 5000},8,1\n", r"line 2: 'Channels' is '9{60}'… \(5,000"),
        (f"{HEADER}\nc1\x00,8,8,3,3,4,8,1\n", r"t\.csv, line 2: control character '\\x00'"),
        (
            f"{HEADER}\n{'c' * 300},8,8,3,3,4,8,1\n",
            r"line 2: layer name 'c{60}'… \(300 characters\) is over 256",
        ),
    ],
    ids=[
        "empty",
        "binary",
        "utf-16",
        "10M-columns",
        "not-a-number",
        "5000-digits",
        "nul",
        "long-name",
    ],
)
def test_a_broken_topology_is_refused_naming_the_line(tmp_path, data, message):
    with pytest.raises(WorkloadError, match=message):
        load_scalesim(write(tmp_path / "t.csv", data))


# --- memory traces ------------------------------------------------------------------------


def test_a_text_trace_names_the_bad_line(tmp_path):
    path = write(tmp_path / "t.trace", "0x40 READ 0\n# fine\n0x80 READ 1\n0xc0 READ soon\n")
    with pytest.raises(TraceFormatError, match=r"t\.trace, line 4: cycle 'soon' is not a whole"):
        read_dramsim3(path, 1.0, 64)
    binary = write(tmp_path / "b.trace", b"LD 0x40\nST 0x80\nLD \xff\xfe\n")
    with pytest.raises(TraceFormatError, match=r"b\.trace, line 3: not a text trace"):
        read_ramulator2(binary, 64)
    long = write(tmp_path / "l.trace", "LD 0x" + "f" * 5000 + "\n")
    with pytest.raises(TraceFormatError, match=r"l\.trace, line 1: '0xf{58}'… \(5,002 char"):
        read_ramulator2(long, 64)


# --- native traces and run folders ----------------------------------------------------------


def native_trace(folder: Path) -> Path:
    sink = NativeTraceSink(folder, row_group_rows=50)
    tracer = Tracer(Level.REQUEST, [sink], batch_records=16)
    for t in range(200):
        tracer.span(t, t + 1, "npu", SpanKind.LOAD, {"round": t}, False)
    tracer.close(300)
    return folder


def test_a_parquet_table_cut_in_the_middle_names_its_footer(tmp_path):
    trace = native_trace(tmp_path / "trace")
    path = trace / "spans.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TraceFormatError, match=r"spans\.parquet: not a Parquet file, or trun"):
        read_native(trace)
    with pytest.raises(TraceFormatError, match=r"truncated \(footer: "):
        read_native(trace)


def test_a_corrupted_row_group_is_named(tmp_path):
    trace = native_trace(tmp_path / "trace")
    path = trace / "spans.parquet"
    column = pq.ParquetFile(path).metadata.row_group(2).column(1)
    data = bytearray(path.read_bytes())
    data[column.data_page_offset + column.total_compressed_size - 3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(TraceFormatError, match=r"spans\.parquet: row group 2: corrupted"):
        list(read_native(trace))


@pytest.mark.parametrize(
    "text", ["{not json", "\udcff".encode("utf-8", "surrogatepass"), "[" * 100_000]
)
def test_a_summary_that_is_not_json_is_one_error(tmp_path, text):
    write(tmp_path / "summary.json", text)
    with pytest.raises(OutputError, match=r"summary\.json: not JSON"):
        read_summary(tmp_path)
    native_trace(tmp_path / "trace")  # a folder `soc replay` would take, but no requests
    write(tmp_path / "trace" / "requests.parquet", b"PAR1")
    with pytest.raises(TraceFormatError, match=r"requests\.parquet: not a Parquet file"):
        run_source(tmp_path)


def test_recorded_requests_a_run_cannot_make_are_refused():
    row = dict(master="dma", number=0, addr=64, size_bytes=64, is_write=False, qos=0)
    row |= dict(issue_ps=0, arrival_ps=0, done_ps=5, after=None, think_ps=0)
    with pytest.raises(TraceFormatError, match=r"r\.parquet: dma request 0: size_bytes 0 is not"):
        streams_from_rows([row | {"size_bytes": 0}], "r.parquet")
    with pytest.raises(TraceFormatError, match=r"dma request 1 waits for request 7, which is not"):
        streams_from_rows([row, row | {"number": 1, "after": 7}], "r.parquet")


# --- the size limit, before anything is read ------------------------------------------------

READERS = [
    ("m.onnx", lambda p: load_onnx(p)),
    ("t.csv", lambda p: load_scalesim(p)),
    ("a.npz", lambda p: load_arrays(p)),
    ("x.npy", lambda p: npy_input(p, [1, 4])),
    ("d.trace", lambda p: read_dramsim3(p, 1.0, 64)),
    ("summary.json", lambda p: read_summary(p.parent)),
]


@pytest.mark.parametrize(("name", "read"), READERS, ids=[n for n, _ in READERS])
def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch, name, read):
    monkeypatch.setenv(MAX_INPUT_ENV, "0.001")  # 1,048 bytes
    path = write(tmp_path / name, b"\xff" * 2000)  # not one of them parses: the size speaks
    message = rf"{name}: .*2,000 bytes is over the limit of 1,048 \(set {MAX_INPUT_ENV}"
    with pytest.raises(InputError, match=message):
        read(path)


def test_a_native_table_over_the_limit_is_refused(tmp_path, monkeypatch):
    trace = native_trace(tmp_path / "trace")
    monkeypatch.setenv(MAX_INPUT_ENV, "0.001")
    with pytest.raises(InputError, match=r"parquet: native trace table \w+: [\d,]+ bytes is over"):
        read_native(trace)


# --- the mapping cache --------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b"\x00\xff" * 100),
        lambda path: path.write_text("[" * 100_000),
        lambda path: path.write_text(
            path.read_text().replace('"cycles": ', '"cycles": 1e999, "x": ')
        ),
        lambda path: (path.unlink(), path.mkdir()),
    ],
    ids=["binary", "deep", "infinite-cost", "directory"],
)
def test_a_damaged_mapping_cache_entry_is_a_miss(tmp_path, monkeypatch, damage):
    from soc.config import ScenarioConfig, WorkloadConfig
    from soc.runner import map_workload

    monkeypatch.setenv("FLEXSOC_CACHE_DIR", str(tmp_path / "cache"))
    config = ScenarioConfig(name="c", workload=WorkloadConfig(model="zoo:edge_cnn"))
    first = map_workload(config)
    entries = sorted((tmp_path / "cache" / "mappings").iterdir())
    for entry in entries:
        damage(entry)
    calls = []
    search = mappings.map_layer
    monkeypatch.setattr(
        mappings, "map_layer", lambda layer, *a: calls.append(1) or search(layer, *a)
    )
    again = map_workload(config)
    assert len(calls) == len(entries)  # every entry a miss, every layer searched again
    assert [m.best for m in again.layers] == [m.best for m in first.layers]


def test_an_oversized_mapping_cache_entry_is_a_miss(tmp_path, monkeypatch):
    path = write(tmp_path / "entry.json", json.dumps({"key": "k", "pad": "x" * 100}))
    monkeypatch.setattr(mappings, "MAX_ENTRY_BYTES", 64)
    assert mappings._read(path, "k") is None


# --- corrupted small files: only the project's errors come out -----------------------------

GOOD = {
    "m.onnx": onnx_bytes(),
    "t.csv": TOPOLOGY.encode(),
    "a.npy": npy_bytes(np.arange(24, dtype=np.float32).reshape(2, 3, 4)),
}
LOAD = {
    "m.onnx": lambda p: load_onnx(p),
    "t.csv": lambda p: load_scalesim(p),
    "a.npy": lambda p: load_arrays(p),
}


@st.composite
def corrupted(draw):
    name = draw(st.sampled_from(sorted(GOOD)))
    data = bytearray(GOOD[name])
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()) and data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        else:
            data = data[: draw(st.integers(0, len(data)))]
    return name, bytes(data)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(corrupted())
def test_corrupted_files_give_only_the_projects_errors(tmp_path, case):
    name, data = case
    path = write(tmp_path / name, data)
    try:
        LOAD[name](path)
    except FlexsocError as exc:
        message = str(exc)
        assert "\n" not in message and name in message


def test_a_constant_too_large_to_evaluate_is_refused_naming_the_node(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])
    shape = helper.make_tensor("shape", TensorProto.INT64, [3], [100_000, 100_000, 1000])
    nodes = [
        helper.make_node("ConstantOfShape", ["shape"], ["big"], name="fill"),  # a free view
        helper.make_node("Mul", ["big", "big"], ["c"], name="square"),  # 4e13 bytes
        helper.make_node("Add", ["x", "c"], ["y"], name="add"),
    ]
    graph = helper.make_graph(nodes, "g", [x], [y], [shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    path = write(tmp_path / "bomb.onnx", model.SerializeToString())
    message = r"bomb\.onnx, node square \(Mul\): its constant result would hold 40,000,000,000,000"
    with pytest.raises(WorkloadError, match=message):
        load_onnx(path)


def test_an_npy_header_that_is_not_a_dict_is_refused(tmp_path):
    header = b"{'descr': '<f8', 'shape': (2,\n"  # never closed: numpy's tokenizer gives up
    data = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 16
    path = write(tmp_path / "open.npy", data)
    with pytest.raises(WorkloadError, match=r"open\.npy: not an \.npy array"):
        load_arrays(path)


def test_a_broken_image_is_one_error(tmp_path):
    from PIL import Image

    from soc.workloads.activations import load_image

    buffer = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[data.index(b"IDAT") - 1] = 0  # the pixel chunk's length: 0, so its data is read as
    path = write(tmp_path / "photo.png", bytes(data))  # the next chunk (Pillow: SyntaxError)
    with pytest.raises(WorkloadError, match=r"measure\.input: .*photo\.png: not an image Pillow"):
        load_image(path, "RGB", (8, 8))


def test_arrays_numpy_wrote_read_back_equal(tmp_path):
    """The safe reader reads what numpy writes: compressed or not, C or Fortran order."""
    arrays = {
        "conv1.IF": np.arange(4 * 8 * 8, dtype=np.float32).reshape(4, 8, 8),
        "conv1.FL": np.asfortranarray(np.arange(8 * 4 * 9, dtype=np.int8).reshape(8, 4, 3, 3)),
        "fc.FL": np.zeros((0, 3), dtype=np.float64),
    }
    np.savez_compressed(tmp_path / "c.npz", **arrays)
    np.savez(tmp_path / "s.npz", **arrays)
    np.save(tmp_path / "conv1.FL.npy", arrays["conv1.FL"])
    for name in ("c.npz", "s.npz"):
        read = load_arrays(tmp_path / name)
        assert sorted(read) == sorted(arrays)
        for key, array in arrays.items():
            assert read[key].dtype == array.dtype and np.array_equal(read[key], array)
    single = load_arrays(tmp_path / "conv1.FL.npy")
    assert list(single) == ["conv1.FL"] and np.array_equal(single["conv1.FL"], arrays["conv1.FL"])
    single["conv1.FL"][0, 0, 0, 0] = 1  # writable, as np.load's arrays are


def test_a_long_node_name_is_cut_in_the_message(tmp_path):
    path = write(tmp_path / "m.onnx", onnx_bytes("NoSuchOp", "n" * 5000))
    with pytest.raises(WorkloadError) as raised:
        load_onnx(path)
    message = str(raised.value)
    assert f"m.onnx, node {'n' * 60}… (5,000 characters) (NoSuchOp): not a valid" in message
    assert len(message) < 400


def test_a_replayed_address_outside_every_memory_is_refused():
    from soc.config import SocConfig
    from soc.hw.replay import ReplayRequest
    from soc.runner.replay import ReplaySource, check_addresses

    soc = SocConfig()
    dram_end = soc.dram.base_addr + soc.dram.size_bytes
    last = ReplayRequest(dram_end - 64, 64, False, 0)  # the DRAM's last 64 bytes: fine
    check_addresses(soc, ReplaySource("t.trace", {"trace": [last]}, at_dram=True))
    over = ReplayRequest(dram_end - 32, 64, False, 0)  # 32 bytes past its end
    source = ReplaySource("t.trace", {"trace": [last, over]}, at_dram=True)
    message = rf"t\.trace: trace request 1 \(from 0; 64 B at {dram_end - 32:#x}\) is outside"
    with pytest.raises(TraceFormatError, match=message):
        check_addresses(soc, source)
    sram = ReplayRequest(soc.sram.base_addr, 64, False, 0)  # through the NoC only
    check_addresses(soc, ReplaySource("run", {"dma": [sram]}))
    with pytest.raises(TraceFormatError, match=r"dma request 0 .* \(dram \[0x0, "):
        check_addresses(soc, ReplaySource("t.trace", {"dma": [sram]}, at_dram=True))


def test_a_run_config_that_is_an_alias_bomb_gives_no_masters_at_once(tmp_path):
    """Replay reads a run folder's config.yaml only for its traffic masters; one that is
    no config a run writes (here nine levels of nine aliases: 9**9 strings once
    expanded) is read as none, within the YAML limits, never expanded."""
    import time

    from soc.runner.replay import _run_masters

    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    (tmp_path / "config.yaml").write_text("\n".join(levels) + "\n", encoding="utf-8")
    started = time.perf_counter()
    assert _run_masters(tmp_path) == []
    assert time.perf_counter() - started < 5
    (tmp_path / "config.yaml").write_text("masters:\n  - {name: cam, kind: camera}\n")
    assert _run_masters(tmp_path) == [{"name": "cam", "kind": "camera"}]
