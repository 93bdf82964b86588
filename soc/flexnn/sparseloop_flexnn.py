"""Which of a Sparseloop design's sparse features the FlexNN engine has.

FlexNN (DESIGN.md section 5.4) does two things with zeros: find-first skipping -- a
lane takes only the MAC pairs where *both* operands are non-zero, so each operand is
skipped on the other and the output update on both -- and zero-value compression of
the data DMA and SRAM move (a flat bitmask, Sparseloop's ``B`` format on one rank).
`analyse_sparse` computes every Sparseloop feature for comparison; this module says
which of them the engine could run, as the two scenario knobs
``workload.sparsity.skip_zeros`` and ``workload.sparsity.compression``, and
`require_engine_features` refuses, in one ConfigError line naming the key, a design that
asks the engine for anything else (gating, one-sided skipping, CP / RLE / UOP formats).
"""

from __future__ import annotations

from dataclasses import dataclass

from soc.errors import ConfigError
from soc.flexnn.sparseloop_input import SparseSpec


@dataclass(frozen=True)
class EngineFeatures:
    """The FlexNN knobs a design maps to, and what it asks that FlexNN lacks
    (each entry: the key at fault, then why)."""

    skip_zeros: bool
    compression: bool
    unsupported: tuple[str, ...]


def engine_features(spec: SparseSpec) -> EngineFeatures:
    operands = {ds.name for ds in spec.problem.dataspaces if not ds.read_write}
    missing: list[str] = []
    skipping = [s for s in spec.safs if s.kind == "skipping"]
    for saf in spec.safs:
        key = f"{saf.level}.action_optimization {saf.kind} {saf.target} on {saf.condition_on}"
        if saf.kind == "gating":
            missing.append(f"{key}: FlexNN skips zero pairs, it does not gate accesses")
            continue
        wanted = operands - {saf.target} if saf.target in operands else operands
        if set(saf.condition_on) != wanted:
            missing.append(f"{key}: find-first conditions on the other operand(s) only")
    targets = {s.target for s in skipping}
    if skipping and not operands <= targets:
        missing.append(
            f"{skipping[0].level}.action_optimization: find-first skips both operands "
            f"({', '.join(sorted(operands))}), the design skips only {', '.join(sorted(targets))}"
        )
    for (level, tensor), formats in spec.formats.items():
        if formats != ("b",):
            missing.append(
                f"{level}.representation_format {tensor} {list(formats)}: FlexNN compresses "
                "with one flat bitmask rank (B)"
            )
    if "gate_on_zero_operand" in spec.compute_optimizations:
        missing.append(f"{spec.compute}.compute_optimization gating: FlexNN does not gate MACs")
    skip = bool(skipping) or "skip_on_not_aligned_operands" in spec.compute_optimizations
    return EngineFeatures(skip, bool(spec.formats), tuple(missing))


def require_engine_features(spec: SparseSpec, where: str = "sparseloop") -> EngineFeatures:
    """`engine_features`, refusing a design that asks FlexNN for what it has not."""
    features = engine_features(spec)
    if features.unsupported:
        raise ConfigError(f"{where}: {features.unsupported[0]}")
    return features
