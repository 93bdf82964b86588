"""Sparseloop model: density models, format words, compute split, an outer-level skip,
refusals and the FlexNN feature check, each against figures derived by hand here."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from soc.errors import ConfigError
from soc.flexnn.sparseloop import analyse_sparse
from soc.flexnn.sparseloop_density import (
    Density,
    expected_occupancy,
    occupancy_distribution,
    prob_empty,
)
from soc.flexnn.sparseloop_flexnn import engine_features, require_engine_features
from soc.flexnn.sparseloop_format import Rank, expected_rank_words, rank_words
from soc.flexnn.sparseloop_input import read_sparseloop

DOT = """problem:
  version: 0.4
  shape:
    name: dot
    dimensions: [K, M]
    data_spaces:
    - {name: A, projection: [[[K]]]}
    - {name: B, projection: [[[K]]]}
    - {name: Z, projection: [[[M]]], read_write: true}
  instance:
    K: 16
    M: 1
    densities:
      A: {distribution: DIST_A, density: 0.25}
      B: {distribution: fixed_structured, density: DENS_B}
"""

ONE_LEVEL = """architecture:
  version: 0.4
  nodes:
  - !Container
    name: PE
  - !Component
    name: Buffer
    class: storage
    attributes: {depth: 64, width: 8, datawidth: 8, metadata_datawidth: 4}
    sparse_optimizations:
      representation_format:
        data_spaces: FORMATS
  - !Component
    name: mac
    class: intmac
    sparse_optimizations:
      compute_optimization: COMPUTE
"""

TWO_LEVEL = """architecture:
  version: 0.4
  nodes:
  - !Container
    name: system
  - !Component
    name: Backing
    class: DRAM
    attributes: {width: 8, datawidth: 8}
    sparse_optimizations:
      action_optimization:
      - type: skipping
        options:
        - {target: B, condition_on: [A]}
  - !Component
    name: Buffer
    class: storage
    attributes: {width: 8, datawidth: 8}
  - !Component
    name: mac
    class: intmac
"""

MAP_ONE = "mapping:\n- {target: Buffer, type: temporal, factors: K16 M1, permutation: KM}\n"
MAP_TWO = (
    "mapping:\n- {target: Backing, type: temporal, factors: K=4 M=1, permutation: KM}\n"
    "- {target: Buffer, type: temporal, factors: K4 M1, permutation: KM}\n"
)


def design(tmp_path: Path, arch: str, mapping: str, **subs: str) -> list[Path]:
    problem = DOT.replace("DIST_A", subs.pop("dist_a", "fixed_structured"))
    problem = problem.replace("DENS_B", subs.pop("dens_b", "0.5"))
    for key, value in subs.items():
        arch = arch.replace(key, value)
    paths = []
    for name, text in (("arch", arch), ("problem", problem), ("map", mapping)):
        paths.append(tmp_path / f"{name}.yaml")
        paths[-1].write_text(text)
    return paths


# --- density models -------------------------------------------------------------------


def test_fixed_structured_holds_exactly_n_times_d_or_its_floor_and_ceiling() -> None:
    d = Density("fixed_structured", 0.25, 16)
    assert occupancy_distribution(d, 16) == {4: 1.0}
    assert occupancy_distribution(d, 10) == {2: 0.5, 3: 0.5}  # 2.5 non-zeros
    assert prob_empty(d, 1) == 0.75 and prob_empty(d, 4) == 0.0
    assert occupancy_distribution(d, 4, given=(16, 8)) == {2: 1.0}  # tile known to hold 8


def test_hypergeometric_draws_the_tile_from_the_tensor() -> None:
    d = Density("hypergeometric", 0.25, 16)  # r = 4 non-zeros among 16
    assert prob_empty(d, 4) == pytest.approx(math.comb(12, 4) / math.comb(16, 4))
    assert expected_occupancy(d, 8) == pytest.approx(8 * 4 / 16)
    assert prob_empty(d, 13) == 0.0  # 13 elements cannot all miss 4 non-zeros of 16


def test_uniform_is_read_as_hypergeometric(tmp_path) -> None:
    formats = "[{name: A, ranks: [{format: CP}]}]"
    paths = design(tmp_path, ONE_LEVEL, MAP_ONE, dist_a="uniform", FORMATS=formats, COMPUTE="[]")
    assert read_sparseloop(*paths).densities["A"].model == "hypergeometric"


# --- format words ------------------------------------------------------------------------


def test_bitmask_ranks_of_a_4x4_tile_half_full() -> None:
    d = Density("fixed_structured", 0.5, 16)
    ranks = (Rank("b", 4, 4), Rank("b", 4, 1))
    # top: one fiber of 4 rows: 4 mask bits, 4 non-empty rows as payload;
    # inner: 4 fibers x 4 bits = 16 bits, payload (2 per row) is the data itself
    assert rank_words(ranks, d, 16, 8) == [(4, 4), (16, 0)]


def test_uncompressed_ranks_count_every_coordinate() -> None:
    d = Density("fixed_structured", 0.5, 16)
    assert rank_words((Rank("ub", 4, 4), Rank("ub", 4, 1)), d, 16, 8) == [(4, 4), (16, 0)]
    assert rank_words((Rank("uop", 4, 4), Rank("cp", 4, 1)), d, 16, 8) == [(0, 5), (8, 0)]


def test_a_third_of_a_tile_is_counted_without_float_noise() -> None:
    d = Density("fixed_structured", 0.43, 3)  # at most 2 of 3; 2 / 3 of a scalar non-zero
    assert rank_words((Rank("rle", 3, 1),), d, 3, 2) == [(2.0, 0.0)]


def test_run_length_words_average_over_floor_and_ceiling() -> None:
    d = Density("fixed_structured", 0.25, 10)  # 2.5 non-zeros: 2 or 3, even odds
    words = expected_rank_words((Rank("rle", 10, 1),), d, 10, occupancy_distribution(d, 10))
    assert words == [(pytest.approx(2.5), 0.0)]


# --- computes ------------------------------------------------------------------------------

A_CP = "[{name: A, ranks: [{format: CP}]}]"
BOTH_CP = "[{name: A, ranks: [{format: CP}]}, {name: B, ranks: [{format: CP}]}]"


@pytest.mark.parametrize(
    ("formats", "compute", "expected"),
    [
        # A stored 1 in 4 (0.25, 0, 0.75), B all stored (0.5, 0.5, 0); 16 computes
        (A_CP, "[]", (16, 0, 0, 16)),
        # gating: one operand zero or missing -> 16 x (0.125 + 0.75) = 14 gated
        (A_CP, "[{type: gating}]", (2, 14, 0, 16)),
        # skipping unaligned: A missing (0.75) -> 12 skipped, the rest actual
        (A_CP, "[{type: skipping}]", (4, 0, 12, 4)),
        (A_CP, "[{type: gating}, {type: skipping}]", (2, 2, 12, 4)),
        # both compressed, no optimization: both missing 0.75 x 0.5 -> 6 do not exist
        (BOTH_CP, "[]", (10, 0, 0, 10)),
    ],
)
def test_computes_split_by_operand_states(tmp_path, formats, compute, expected) -> None:
    paths = design(tmp_path, ONE_LEVEL, MAP_ONE, FORMATS=formats, COMPUTE=compute)
    c = analyse_sparse(read_sparseloop(*paths)).compute
    assert (c.actual, c.gated, c.skipped, c.cycles) == expected
    assert c.algorithmic == 16


def test_compressed_tile_reads_only_its_non_zeros_and_its_metadata(tmp_path) -> None:
    paths = design(tmp_path, ONE_LEVEL, MAP_ONE, FORMATS=A_CP, COMPUTE="[]")
    a = analyse_sparse(read_sparseloop(*paths)).level("Buffer").tensors["A"]
    assert (a.reads.algorithmic, a.reads.actual, a.reads.skipped) == (16, 4, 0)
    assert a.capacity == 4 and a.format_capacity == ((4, 0),)  # 4 coordinates
    assert a.format_reads["actual"] == ((4, 0),)


def test_skipping_at_the_outer_level_looks_at_one_iteration_of_its_loop(tmp_path) -> None:
    # Backing's K4 loop is co-iterated by A and B: B's reads there are skipped when the
    # 4-element A tile of one iteration is empty, P = C(12,4) / C(16,4) (A uniform, 4 of 16)
    paths = design(tmp_path, TWO_LEVEL, MAP_TWO, dist_a="hypergeometric", dens_b="1.0")
    stats = analyse_sparse(read_sparseloop(*paths))
    p = math.comb(12, 4) / math.comb(16, 4)
    skipped = math.floor(16 * p)  # Backing's B reads: 4 tiles of 4
    b = stats.level("Backing").tensors["B"]
    assert (b.reads.algorithmic, b.reads.skipped, b.reads.actual) == (16, skipped, 16 - skipped)
    inner = stats.level("Buffer").tensors["B"]  # what is not sent is not filled nor read
    assert (inner.fills.actual, inner.reads.actual) == (16 - skipped, 16 - skipped)
    assert stats.compute.actual == 16 - skipped == stats.cycles


# --- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formats", "compute", "key"),
    [
        ("[{name: A, ranks: [{format: CSR}]}]", "[]", "data_spaces[0].ranks[0].format"),
        (
            "[{name: A, ranks: [{format: CP, flattened_rankIDs: [[X]]}]}]",
            "[]",
            "ranks[0].flattened_rankIDs",
        ),
        ("[{name: A, ranks: [{format: CP}], compression_rate: 2}]", "[]", "compression_rate"),
        ("[{name: Q, ranks: [{format: CP}]}]", "[]", "no tensor named 'Q'"),
        ("[{name: A, ranks: [{format: CP}, {format: UOP}]}]", "[]", "a compressed rank above"),
        (A_CP, "[{type: magic}]", "compute_optimization[0].type"),
    ],
)
def test_unmodelled_keys_are_refused_in_one_line(tmp_path, formats, compute, key) -> None:
    paths = design(tmp_path, ONE_LEVEL, MAP_ONE, FORMATS=formats, COMPUTE=compute)
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")) as info:
        analyse_sparse(read_sparseloop(*paths))
    assert "\n" not in str(info.value) and "arch.yaml" in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("type: skipping", "type: skipping_spatial", "action_optimization[0].type"),
        (
            "{target: B, condition_on: [A]}",
            "{target: B, condition_on: [A]}\n        - {target: A, condition_on: [B]}",
            "action_optimization[0].options",
        ),
        ("!Container", "!Switch", "!Switch"),
    ],
)
def test_unmodelled_architecture_is_refused(tmp_path, old, new, key) -> None:
    paths = design(tmp_path, TWO_LEVEL.replace(old, new), MAP_TWO)
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        read_sparseloop(*paths)


SPATIAL = """architecture:
  version: 0.4
  nodes:
  - !Container
    name: system
  - !Component
    name: Backing
    class: DRAM
    attributes: {width: 8, datawidth: 8}
  - !Container
    name: PE
    spatial: {meshX: 2}
  - !Component
    name: Buffer
    class: storage
    attributes: {width: 8, datawidth: 8}
    sparse_optimizations:
      action_optimization:
      - {type: skipping, options: [{target: B, condition_on: [A]}]}
  - !Component
    name: mac
    class: intmac
"""
MAP_SPATIAL = """mapping:
- {target: Backing, type: temporal, factors: K1 M1, permutation: KM}
- {target: inter_PE_spatial, type: spatial, factors: K2 M1, permutation: KM}
- {target: Buffer, type: temporal, factors: K8 M1, permutation: KM}
"""


def test_a_container_fans_out_through_its_own_level(tmp_path) -> None:
    # two PEs, 8 MACs each; B is read once per MAC and skipped where A's scalar is zero
    stats = analyse_sparse(read_sparseloop(*design(tmp_path, SPATIAL, MAP_SPATIAL)))
    assert [lv.name for lv in stats.levels] == ["Backing", "Buffer"]  # no fan-out level
    buffer = stats.level("Buffer")
    b = buffer.tensors["B"]
    assert (buffer.instances, b.reads.algorithmic, b.reads.skipped, b.reads.actual) == (2, 8, 6, 2)
    c = stats.compute
    assert (c.instances, c.algorithmic, c.actual, c.cycles) == (2, 16, 16 - 12, 2)


def test_a_spatial_loop_deciding_an_optimization_is_refused(tmp_path) -> None:
    innermost = MAP_SPATIAL.replace(
        "K8 M1, permutation: KM}",
        "K4 M1, permutation: KM}\n- {target: Buffer, type: spatial, factors: K2 M1}",
    )
    two_macs = SPATIAL.replace("class: intmac\n", "class: intmac\n    spatial: {meshX: 2}\n")
    assert read_sparseloop(*design(tmp_path, two_macs, innermost)).compute_instances == 4
    with pytest.raises(ConfigError, match="spatial innermost loop is not modelled"):
        analyse_sparse(read_sparseloop(*design(tmp_path, two_macs, innermost)))
    # a unit spatial loop innermost does not hide the fan-out above it
    hidden = innermost.replace("factors: K2 M1}", "factors: K2 M1, permutation: MK}")
    with pytest.raises(ConfigError, match="spatial innermost loop is not modelled"):
        analyse_sparse(read_sparseloop(*design(tmp_path, two_macs, hidden)))


A_AT_BACKING = TWO_LEVEL.replace(
    """      action_optimization:
      - type: skipping
        options:
        - {target: B, condition_on: [A]}
""",
    """      representation_format:
        data_spaces: [{name: A, ranks: RANKS}]
""",
)
BYPASS_A = MAP_TWO + "- {target: Buffer, type: datatype, keep: [B, Z], bypass: [A]}\n"


def test_each_loop_over_a_tensor_needs_a_rank(tmp_path) -> None:
    # A bypasses Buffer: Backing's A tile spans Backing's K4 and Buffer's K4, two ranks
    one = A_AT_BACKING.replace("RANKS", "[{format: CP}]")
    with pytest.raises(ConfigError, match="need more than 1 ranks"):
        analyse_sparse(read_sparseloop(*design(tmp_path, one, BYPASS_A)))
    two = A_AT_BACKING.replace("RANKS", "[{format: UOP}, {format: CP}]")
    a = analyse_sparse(read_sparseloop(*design(tmp_path, two, BYPASS_A))).level("Backing")
    a = a.tensors["A"]
    # 16 elements, 4 non-zeros; outer UOP: one fiber of 4 offsets + 1; inner CP: 4 fibers
    # of 4 coordinates, 1 non-zero each; every element is read once by the computes
    assert a.format_capacity == ((0, 5), (4, 0))
    assert (a.reads.algorithmic, a.reads.actual) == (16, 4)
    assert a.format_reads["actual"] == ((0, 5), (4, 0))
    # one CP rank that flattens K takes both K loops: one fiber of 16, 4 coordinates
    flat = A_AT_BACKING.replace("RANKS", "[{format: CP, flattened_rankIDs: [[K]]}]")
    a = analyse_sparse(read_sparseloop(*design(tmp_path, flat, BYPASS_A))).level("Backing")
    assert a.tensors["A"].format_capacity == ((4, 0),)


# --- FlexNN features ---------------------------------------------------------------------


def test_find_first_on_both_operands_with_bitmasks_is_what_flexnn_runs(tmp_path) -> None:
    arch = ONE_LEVEL.replace(
        "      representation_format:",
        "      action_optimization:\n"
        "      - {type: skipping, options: [{target: A, condition_on: [B]}]}\n"
        "      - {type: skipping, options: [{target: B, condition_on: [A]}]}\n"
        "      - {type: skipping, options: [{target: Z, condition_on: [A, B]}]}\n"
        "      representation_format:",
    )
    formats = "[{name: A, ranks: [{format: B}]}, {name: B, ranks: [{format: B}]}]"
    spec = read_sparseloop(*design(tmp_path, arch, MAP_ONE, FORMATS=formats, COMPUTE="[]"))
    features = require_engine_features(spec)
    assert (features.skip_zeros, features.compression) == (True, True)
    stats = analyse_sparse(spec)  # the analysis of the same design: 16 x 0.25 x 0.5 = 2 MACs
    assert stats.compute.actual == 2


def test_gating_and_coordinate_formats_are_refused_for_the_engine(tmp_path) -> None:
    folder = Path(__file__).parents[2] / "validation" / "data" / "sparseloop"
    sudu = folder / "01.2.2-SUDU-dot-product"
    spec = read_sparseloop(
        sudu / "arch.yaml", sudu / "problem.yaml", sudu / "timeloop-mapper.map.yaml"
    )
    with pytest.raises(ConfigError, match="Buffer.action_optimization gating B") as info:
        require_engine_features(spec)
    assert "\n" not in str(info.value)
    paths = design(tmp_path, ONE_LEVEL, MAP_ONE, FORMATS=A_CP, COMPUTE="[]")
    found = engine_features(read_sparseloop(*paths))
    assert found.compression and any("['cp']" in m for m in found.unsupported)


OLD_TREE = """architecture:
  version: 0.4
  subtree:
  - name: PE
    local:
    - name: Buffer[1..1]
      class: storage
      attributes: {depth: 64, width: 8, datawidth: 8, metadata_datawidth: 4,
                   read_bandwidth: 4, write_bandwidth: 3}
    - name: mac[1..1]
      class: intmac
sparse_optimizations:
  targets:
  - name: Buffer
    representation_format:
      data_spaces: [{name: A, ranks: [{format: CP}]}]
    action_optimization:
    - {type: skipping, options: [{target: B, condition_on: [A]}]}
    - {type: skipping, options: [{target: Z, condition_on: [A]}]}
"""


def test_the_older_tree_and_a_separate_targets_list_read_like_nodes(tmp_path) -> None:
    # 01.2.3-SCDU written the pre-"nodes" way: its reference figures (A 4 of 16 read,
    # B and Z skipped 12, Z reads 3 of 15, 4 computes in 4 cycles) must come out the same
    paths = design(tmp_path, OLD_TREE, MAP_ONE, dens_b="1.0")
    stats = analyse_sparse(read_sparseloop(*paths))
    buffer = stats.level("Buffer").tensors
    assert (buffer["A"].reads.actual, buffer["B"].reads.skipped) == (4, 12)
    assert (buffer["Z"].reads.actual, buffer["Z"].reads.skipped) == (3, 12)
    assert (stats.compute.actual, stats.cycles) == (4, 4)


def test_hierarchical_nodes_are_read_in_line(tmp_path) -> None:
    nested = ONE_LEVEL.replace(
        "  - !Component\n    name: mac\n    class: intmac\n",
        "  - !Hierarchical\n    nodes:\n    - !Component\n      name: mac\n      class: intmac\n",
    ).replace("    sparse_optimizations:\n      compute_optimization: COMPUTE\n", "")
    assert nested.count("!Hierarchical") == 1 and "COMPUTE" not in nested
    spec = read_sparseloop(*design(tmp_path, nested, MAP_ONE, FORMATS=A_CP))
    assert (spec.compute, [lv.name for lv in spec.storage]) == ("mac", ["Buffer"])


def test_an_optimization_whose_target_is_kept_nowhere_above_is_refused(tmp_path) -> None:
    arch = TWO_LEVEL.replace("{target: B, condition_on: [A]}", "{target: Z, condition_on: [A]}")
    keep = MAP_TWO + "- {target: Backing, type: datatype, keep: [A, B], bypass: [Z]}\n"
    with pytest.raises(ConfigError, match="no level at or above Backing keeps 'Z'"):
        analyse_sparse(read_sparseloop(*design(tmp_path, arch, keep)))


def test_the_command_prints_counts_and_exits_2_on_what_it_cannot_model(capsys) -> None:
    from soc.flexnn.sparseloop import main

    folder = Path(__file__).parents[2] / "validation" / "data" / "sparseloop"
    scdu = folder / "01.2.3-SCDU-dot-product"
    files = [str(scdu / f) for f in ("arch.yaml", "problem.yaml", "timeloop-mapper.map.yaml")]
    assert main(files) == 0
    out = capsys.readouterr().out
    # Sparseloop's own figures for this design: 4 of 16 computes in 4 cycles; B's 16
    # reads: 4 actual, 12 skipped (algorithmic/actual/gated/skipped)
    assert "computes algorithmic 16 actual 4 gated 0 skipped 0 cycles 4" in out
    assert "  B capacity 16 reads 16/4/0/12" in out
    # one-sided skipping and CP compression are not FlexNN's find-first and bitmask
    assert main(["--flexnn", *files]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: sparseloop: Buffer.action_optimization skipping Z on")
    assert err.count("\n") == 1
    assert main([]) == 2
