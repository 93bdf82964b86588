"""The Timeloop reader accepts Timeloop v0.4's syntax and refuses what the loop-nest
model cannot express (soc.flexnn.timeloop, timeloop_yaml, timeloop_arch,
timeloop_mapping).

Small designs are written here and their counts derived by hand; the tutorial's mapper
cases 05 and 06 are also read from their own input files (the front end's `nodes`
architecture) and must give the counts Timeloop printed.
"""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from soc.errors import ConfigError
from soc.flexnn.loopnest import LevelStats, Loop, NestStats, TensorStats, analyse
from soc.flexnn.timeloop import (
    ArchLevel,
    TimeloopSpec,
    check_capacity,
    cycles,
    energy_pj,
    leakage_pj,
    main,
    read_timeloop,
)
from tests.validation.test_timeloop import DATA, reference

# A strided 1-D convolution: Outputs[K][P] += Weights[K][R] * Inputs[2P + R].
PROBLEM = {
    "shape": {
        "name": "conv1d",
        "dimensions": ["K", "R", "P"],
        "coefficients": [{"name": "Wstride", "default": 1}, {"name": "Wdilation", "default": 1}],
        "data_spaces": [
            {"name": "Weights", "projection": [[["K"]], [["R"]]]},
            {"name": "Inputs", "projection": [[["R", "Wdilation"], ["P", "Wstride"]]]},
            {"name": "Outputs", "projection": [[["K"]], [["P"]]], "read_write": True},
        ],
    },
    "instance": {"K": 2, "R": 3, "P": 4, "Wstride": 2},
}
SUBTREE = {
    "version": 0.4,
    "subtree": [
        {
            "name": "system",
            "local": [
                {"name": "DRAM", "class": "DRAM", "attributes": {"width": 64, "datawidth": 8}}
            ],
            "subtree": [
                {
                    "name": "PE[0..1]",
                    "local": [
                        {
                            "name": "Buffer",
                            "class": "regfile",
                            "attributes": {"width": 16, "datawidth": 8},
                        },
                        {"name": "mac", "class": "intmac"},
                    ],
                }
            ],
        }
    ],
}
NODES_YAML = """
architecture:
  version: 0.4
  nodes:
  - !Container {name: system}
  - !Component {name: DRAM, class: DRAM, attributes: {width: 64, datawidth: 8}}
  - !Container {name: PE, spatial: {meshX: 2}}
  - !Component {name: Buffer, class: regfile, attributes: {width: 16, datawidth: 8}}
  - !Component {name: mac, class: intmac}
"""
# K across the two PEs, then P (outer) and R (inner) in each PE's buffer.
MAPPING = [
    {"target": "DRAM", "type": "spatial", "factors": "K2 R1 P1", "permutation": "KRP"},
    {"target": "Buffer", "type": "temporal", "factors": "K1 R3 P4", "permutation": "RPK"},
]
# By hand, per PE: 12 computes; Weights K1 x R3 = 3 words, Inputs 2*(4-1) + (3-1) + 1 = 9
# words (the same 9 in both PEs, so DRAM reads them once), Outputs 4 words each
# updated 3 times (the first update needs no read: 12 updates, 8 reads). DRAM: the two
# PEs' Weights (6) and Outputs (8) differ.
EXPECTED = {
    ("DRAM", "Weights"): (1, 6, 6, 0, 0),  # instances, capacity, reads, fills, updates
    ("DRAM", "Inputs"): (1, 9, 9, 0, 0),
    ("DRAM", "Outputs"): (1, 8, 0, 0, 8),
    ("Buffer", "Weights"): (2, 3, 12, 3, 0),
    ("Buffer", "Inputs"): (2, 9, 12, 9, 0),
    ("Buffer", "Outputs"): (2, 4, 8, 0, 12),
}


def write(tmp_path: Path, name: str, doc: dict | str) -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
    return path


def design(tmp_path: Path, problem=None, arch=None, mapping=None) -> list[Path]:
    return [
        write(tmp_path, "arch.yaml", {"architecture": SUBTREE if arch is None else arch}),
        write(tmp_path, "prob.yaml", {"problem": PROBLEM if problem is None else problem}),
        write(tmp_path, "map.yaml", {"mapping": MAPPING if mapping is None else mapping}),
    ]


def counts(spec: TimeloopSpec) -> dict:
    stats = analyse(spec.problem, spec.mapping)
    assert (stats.macs, stats.cycles) == (24, 12)
    return {
        (lv.name, tensor): (lv.instances, t.capacity, t.reads, t.fills, t.updates)
        for lv in stats.levels
        for tensor, t in lv.tensors.items()
    }


def test_subtree_form_gives_the_hand_counts(tmp_path):
    assert counts(read_timeloop(*design(tmp_path))) == EXPECTED


def test_nodes_form_gives_the_same_hand_counts(tmp_path):
    arch = write(tmp_path, "nodes.yaml", NODES_YAML)
    mapping = [dict(MAPPING[0], target="PE"), MAPPING[1]]  # a container names its fan-out
    spec = read_timeloop(arch, *design(tmp_path, mapping=mapping)[1:])
    assert [lv.name for lv in spec.storage] == ["DRAM", "inter_PE_spatial", "Buffer"]
    assert counts(spec) == EXPECTED


def test_hierarchical_nothing_and_numbered_targets(tmp_path):
    nodes = NODES_YAML.replace(
        "  - !Component {name: Buffer",
        "  - !Nothing {}\n  - !Hierarchical\n    nodes:\n    - !Component {name: Buffer",
    ).replace("  - !Component {name: mac", "    - !Component {name: mac")
    arch = write(tmp_path, "nodes.yaml", nodes)
    # storage levels innermost first: 0 Buffer, 1 inter_PE_spatial, 2 DRAM
    mapping = [dict(MAPPING[0], target=1), dict(MAPPING[1], target=0)]
    spec = read_timeloop(arch, *design(tmp_path, mapping=mapping)[1:])
    assert counts(spec) == EXPECTED


def test_container_attributes_pass_down(tmp_path):
    """The buffer takes its datawidth from the PE container: 16-bit width, 8-bit words,
    so a vector holds 2 words (Timeloop's default 16-bit word would make it 1)."""
    nodes = NODES_YAML.replace(
        "spatial: {meshX: 2}}", "spatial: {meshX: 2}, attributes: {datawidth: 8}}"
    ).replace("attributes: {width: 16, datawidth: 8}", "attributes: {width: 16}")
    mapping = [dict(MAPPING[0], target="PE"), MAPPING[1]]
    files = design(tmp_path, mapping=mapping)[1:]
    spec = read_timeloop(write(tmp_path, "nodes.yaml", nodes), *files)
    assert [(lv.name, lv.block, lv.word_bits) for lv in spec.storage][2] == ("Buffer", 2, 8)


def test_instances_attribute_overrides_the_name_range(tmp_path):
    arch = _mutate(SUBTREE, "subtree.0.subtree.0.name", "PE")
    for component in arch["subtree"][0]["subtree"][0]["local"]:
        component.setdefault("attributes", {})["instances"] = 2
    assert counts(read_timeloop(*design(tmp_path, arch=arch))) == EXPECTED


def test_one_input_file_holding_all_three(tmp_path):
    one = write(
        tmp_path, "input.yaml", {"architecture": SUBTREE, "problem": PROBLEM, "mapping": MAPPING}
    )
    assert counts(read_timeloop(one)) == EXPECTED


@pytest.mark.parametrize(
    "inputs",
    [
        [[["R", "Wdilation"], ["P", "Wstride"]]],  # Timeloop's order
        [[["Wdilation", "R"], ["Wstride", "P"]]],  # coefficient first
        [[["R"], ["P", 2]]],  # a number as coefficient
    ],
)
def test_projection_terms_by_name(tmp_path, inputs):
    problem = yaml.safe_load(yaml.safe_dump(PROBLEM))
    problem["shape"]["data_spaces"][1]["projection"] = inputs
    assert counts(read_timeloop(*design(tmp_path, problem=problem))) == EXPECTED


@pytest.mark.parametrize(
    "factors",
    ["K1 R3 P4", "K=1 R=3 P=4", "K=1,R=3,P=4", ["K=1", "R=3", "P=4"], {"R": 3, "P": 4}, "R3 P0"],
)
def test_factor_forms(tmp_path, factors):
    mapping = [MAPPING[0], dict(MAPPING[1], factors=factors)]  # P0: the whole dimension
    assert counts(read_timeloop(*design(tmp_path, mapping=mapping))) == EXPECTED


@pytest.mark.parametrize(
    ("permutation", "outer_to_inner"),
    [
        ("RPK", [Loop("P", 4), Loop("R", 3)]),
        ("R", [Loop("P", 4), Loop("R", 3)]),  # K, P padded after R: outermost
        ("P", [Loop("R", 3), Loop("P", 4)]),
        ("", [Loop("P", 4), Loop("R", 3)]),  # problem order K R P, innermost first
        (["P", "R"], [Loop("R", 3), Loop("P", 4)]),
    ],
)
def test_permutation_subsets(tmp_path, permutation, outer_to_inner):
    mapping = [MAPPING[0], dict(MAPPING[1], permutation=permutation)]
    spec = read_timeloop(*design(tmp_path, mapping=mapping))
    assert list(spec.mapping.levels[1].temporal) == outer_to_inner


def test_mapper_output_datatype_directives(tmp_path):
    """Timeloop-mapper writes keep and bypass lists per level, innermost level first."""
    mapping = [
        {
            "target": "Buffer",
            "type": "datatype",
            "keep": ["Weights", "Outputs"],
            "bypass": ["Inputs"],
        },
        {
            "target": "DRAM",
            "type": "datatype",
            "keep": ["Weights", "Inputs", "Outputs"],
            "bypass": [],
        },
        *reversed(MAPPING),
    ]
    got = counts(read_timeloop(*design(tmp_path, mapping=mapping)))
    # Inputs now go from DRAM straight to the MACs: 12 per PE, the two PEs' reads
    # being the same words (multicast), so DRAM reads 12.
    assert ("Buffer", "Inputs") not in got
    assert got[("DRAM", "Inputs")] == (1, 9, 12, 0, 0)


def test_block_and_cluster_size_follow_width(tmp_path):
    arch = yaml.safe_load(yaml.safe_dump(SUBTREE))
    buffer = arch["subtree"][0]["subtree"][0]["local"][0]["attributes"]
    buffer.update(width=64, datawidth=8, cluster_size=2)
    spec = read_timeloop(*design(tmp_path, arch=arch))
    assert (spec.storage[1].block, spec.storage[1].cluster_size) == (4, 2)
    del buffer["cluster_size"]
    buffer["block_size"] = 2
    spec = read_timeloop(*design(tmp_path, arch=arch))
    assert (spec.storage[1].block, spec.storage[1].cluster_size) == (2, 4)


def _spec(level: ArchLevel) -> TimeloopSpec:
    return TimeloopSpec(None, None, (level,), ArchLevel("mac", 4, 1))  # type: ignore[arg-type]


def test_cluster_shares_a_vector_access():
    """4 utilised instances in clusters of 2: Timeloop charges each instance half of a
    cluster's vector accesses (buffer.cpp FinalizeBufferEnergy)."""
    stats = NestStats(8, 2, (LevelStats("B", 4, {"W": TensorStats(4, 6, 4, 0)}),))
    ert = {"B": {"read": 2.0, "write": 3.0, "leak": 0.25}, "mac": {"compute": 1.0}}
    alone = energy_pj(stats, _spec(ArchLevel("B", 4, 4)), ert)
    shared = energy_pj(stats, _spec(ArchLevel("B", 4, 4, cluster_size=2)), ert)
    # per instance: ceil(6/4) = 2 reads at 2 pJ, ceil(4/4) = 1 fill at 3 pJ -> 7 pJ
    assert alone["B"]["W"] == 4 * 7
    assert shared["B"]["W"] == 4 * 7 / 2
    assert alone["mac"]["compute"] == 8
    # leakage: 0.25 pJ per cycle per utilised instance, over 10 cycles
    assert leakage_pj(stats, _spec(ArchLevel("B", 4, 4)), ert, 10) == {"B": 0.25 * 10 * 4}


def test_bandwidth_throttles_cycles(tmp_path):
    arch = yaml.safe_load(yaml.safe_dump(SUBTREE))
    arch["subtree"][0]["subtree"][0]["local"][0]["attributes"]["read_bandwidth"] = 0.5
    spec = read_timeloop(*design(tmp_path, arch=arch))
    stats = analyse(spec.problem, spec.mapping)
    # per PE the buffer reads 12 + 12 + 8 = 32 words; at 0.5 word/cycle that is 64 cycles
    assert cycles(stats, spec) == 64
    arch["subtree"][0]["subtree"][0]["local"][0]["attributes"]["read_bandwidth"] = 8
    spec = read_timeloop(*design(tmp_path, arch=arch))
    assert cycles(stats, spec) == 12


@pytest.mark.parametrize(
    ("attributes", "fits"),
    [
        ({"depth": 8}, True),  # 8 blocks of 2 words: 16 = 3 + 9 + 4 words of tiles
        ({"depth": 7}, False),
        ({"depth": 8, "multiple_buffering": 2}, False),  # 8 words for the tiles
        ({"depth": 8, "multiple_buffering": 2, "allow_overbooking": True}, True),
        ({"entries": 16}, True),
        ({"entries": 16, "min_utilization": 1.0}, True),
        ({"entries": 32, "min_utilization": 0.75}, False),  # 16 of 32 words used
        ({"sizeKB": 1, "datawidth": 8}, True),  # 1024 words
    ],
)
def test_capacity_with_multiple_buffering(tmp_path, attributes, fits):
    arch = yaml.safe_load(yaml.safe_dump(SUBTREE))
    arch["subtree"][0]["subtree"][0]["local"][0]["attributes"].update(attributes)
    spec = read_timeloop(*design(tmp_path, arch=arch))
    stats = analyse(spec.problem, spec.mapping)
    if fits:
        check_capacity(stats, spec)
    else:
        with pytest.raises(
            ConfigError, match=r"map\.yaml: mapping: Buffer: the tiles (need|use) 16"
        ):
            check_capacity(stats, spec)


def test_fanout_to_the_macs_reads_operands_when_they_change(tmp_path):
    """One buffer feeding two MACs (K across them), P innermost: each MAC's weight
    changes only when R advances (3 times), and the two MACs need different weights;
    the input changes every cycle and is the same for both; each MAC's output changes
    every cycle. Without the fan-out (one MAC) every compute reads every operand."""
    arch = {
        "version": 0.4,
        "subtree": [
            {
                "name": "system",
                "local": [
                    {"name": "Buffer", "class": "SRAM", "attributes": {"width": 8, "datawidth": 8}},
                    {"name": "mac[0..1]", "class": "intmac"},
                ],
            }
        ],
    }
    mapping = [
        {"target": "Buffer", "type": "spatial", "factors": "K2", "permutation": "K"},
        {"target": "Buffer", "type": "temporal", "factors": "R3 P4", "permutation": "PRK"},
    ]
    spec = read_timeloop(*design(tmp_path, arch=arch, mapping=mapping))
    got = analyse(spec.problem, spec.mapping).level("Buffer").tensors
    assert (got["Weights"].reads, got["Inputs"].reads, got["Outputs"].updates) == (6, 12, 24)
    arch["subtree"][0]["local"][1]["name"] = "mac"
    problem = _mutate(PROBLEM, "instance.K", 1)
    spec = read_timeloop(*design(tmp_path, problem=problem, arch=arch, mapping=mapping[1:]))
    got = analyse(spec.problem, spec.mapping).level("Buffer").tensors
    assert (got["Weights"].reads, got["Inputs"].reads, got["Outputs"].updates) == (12, 12, 12)


def test_front_end_templates_are_refused_with_the_line(tmp_path):
    files = design(tmp_path)
    files[0].write_text(files[0].read_text() + "{% if reg %}\n")
    with pytest.raises(ConfigError, match=r"arch\.yaml: line \d+: a Jinja template"):
        read_timeloop(*files)


def _mutate(doc: dict, path: str, value) -> dict:
    doc = yaml.safe_load(yaml.safe_dump(doc))
    *head, last = path.split(".")
    node = doc
    for key in head:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return doc


LOCAL = "subtree.0.subtree.0.local"
REFUSALS = [
    ("problem", "shape.flatten", [{"name": "X", "dimensions": ["K"]}], "problem.shape.flatten"),
    ("problem", "instance.densities", {"Inputs": 0.5}, "problem.instance.densities"),
    ("problem", "shape.data_spaces.0.projection", [[["Q"]]], "projection[0][0]"),
    ("arch", f"{LOCAL}.0.attributes.metadata_storage_width", 8, "metadata_storage_width"),
    ("arch", f"{LOCAL}.0.attributes.network_fill_latency", 1, "network_fill_latency"),
    ("arch", f"{LOCAL}.0.attributes.reduction_supported", False, "reduction_supported"),
    ("arch", f"{LOCAL}.0.attributes.cluster_size", 3, "local[0] (Buffer).attributes.width"),
    ("arch", f"{LOCAL}.1", {"name": "noc", "class": "XY_NoC"}, "local[1] (noc).class"),
    ("mapping", "1.factors", "K1 R3 P3,1", "mapping[1].factors"),
    ("mapping", "1.factors", "K1 R3 P2", "mapping: conv1d: factors of P multiply to 2"),
    ("mapping", "1.no_temporal_reuse", ["Inputs"], "mapping[1].no_temporal_reuse"),
    ("mapping", "1.type", "skew", "mapping[1].type"),
    ("mapping", "1.target", "Nowhere", "mapping[1].target"),
    ("mapping", "0.factors", "K2 R3", "use 6 instances"),
    ("mapping", "1", {"target": "DRAM", "type": "bypass", "bypass": ["Inputs"]}, "outermost"),
]


@pytest.mark.parametrize(("section", "path", "value", "named"), REFUSALS)
def test_refused_by_name(tmp_path, section, path, value, named):
    base = {"problem": PROBLEM, "arch": SUBTREE, "mapping": MAPPING}[section]
    files = design(tmp_path, **{section: _mutate(base, path, value)})
    with pytest.raises(ConfigError) as info:
        read_timeloop(*files)
    message = str(info.value)
    assert "\n" not in message and named in message
    file = {"problem": "prob.yaml", "arch": "arch.yaml", "mapping": "map.yaml"}[section]
    assert message.startswith(str(tmp_path / file))


def test_sparseloop_section_is_refused_with_its_name(tmp_path):
    files = design(tmp_path)
    extra = write(tmp_path, "sparse.yaml", {"sparse_optimizations": {"targets": []}})
    with pytest.raises(ConfigError, match=r"sparse\.yaml: sparse_optimizations"):
        read_timeloop(*files, extra)


def test_cli_prints_counts_and_refuses_with_exit_2(tmp_path, capsys):
    assert main([str(p) for p in design(tmp_path)]) == 0
    assert (
        "Buffer Inputs instances 2 capacity 9 reads 12 fills 9 updates 0" in capsys.readouterr().out
    )
    bad = design(tmp_path, mapping=_mutate(MAPPING, "1.type", "skew"))
    done = subprocess.run(
        [sys.executable, "-m", "soc.flexnn.timeloop", *map(str, bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "map.yaml: mapping[1].type" in done.stderr


_M05 = "05-mapper-conv1d+oc-3level"
_MAPPED = "ref-output/{}/timeloop-mapper.map.yaml"
# (case, arch, problem, mapping, stats): the tutorial's own input files. Case 04's arch
# file is left out: it places the PE fan-out below the global buffer, while the
# reference output it ships was made with the buffer inside the PEs (16 instances).
FRONT_END_CASES = [
    ("00-model-conv1d-1level", "map/conv1d-1level.map.yaml", "ref-output"),
    ("01-model-conv1d-2level", "map/conv1d-2level-os.map.yaml", "ref-output/os"),
    ("01-model-conv1d-2level", "map/conv1d-2level-ws.map.yaml", "ref-output/ws"),
    ("02-model-conv1d+oc-2level", "map/conv1d+oc-2level-os.map.yaml", "ref-output/no-tiling"),
    ("02-model-conv1d+oc-2level", "map/conv1d+oc-2level-os-tiled.map.yaml", "ref-output/tiling"),
    ("03-model-conv1d+oc-3level", "map/conv1d+oc-3level.map.yaml", "ref-output/no-bypass"),
    ("03-model-conv1d+oc-3level", "map/conv1d+oc-3level-bypass.map.yaml", "ref-output/bypass"),
    (_M05, _MAPPED.format("baked"), "ref-output/baked"),
    (_M05, _MAPPED.format("freebypass"), "ref-output/freebypass"),
    (_M05, _MAPPED.format("null"), "ref-output/null"),
    ("06-mapper-convlayer-eyeriss", "ref-output/timeloop-mapper.map.yaml", "ref-output"),
]


@pytest.mark.parametrize(("case", "mapping", "out"), FRONT_END_CASES, ids=lambda x: x)
def test_tutorial_inputs_as_the_user_has_them(case, mapping, out):
    """The tutorial's own arch (front-end `nodes`, with !Parallel scratchpads in 06)
    and problem files, with its map file or the mapping the mapper chose, give
    Timeloop's counts."""
    folder = DATA / case
    (arch,) = (folder / "arch").glob("*.yaml")
    (prob,) = (folder / "prob").glob("*.yaml")
    spec = read_timeloop(arch, prob, folder / mapping)
    stats = analyse(spec.problem, spec.mapping)
    check_capacity(stats, spec)  # sizes from depth x block, as Timeloop's
    (stats_file,) = (folder / out).glob("timeloop-*.stats.txt")
    ref = reference(stats_file)
    assert (stats.macs, cycles(stats, spec)) == (ref["macs"], ref["cycles"])
    for name, tensors in ref["levels"].items():
        level = stats.level(name)
        got = {
            t: {
                "capacity": c.capacity,
                "instances": level.instances,
                "reads": c.reads,
                "fills": c.fills,
                "updates": c.updates,
            }
            for t, c in level.tensors.items()
        }
        assert got == {
            t: {k: v for k, v in e.items() if k != "energy"} for t, e in tensors.items()
        }, name
