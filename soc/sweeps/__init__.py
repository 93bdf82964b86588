"""Design-space sweeps: many runs of one scenario with parameters changed (`soc sweep`).

The sweep file (YAML)::

    base: ../dram_contention.yaml          # the scenario, relative to this file
    set: [workload.layers[1].k=1024]       # --set overrides applied to every point
    mode: grid                             # grid (cartesian, default) or zip
    seed: fixed                            # fixed (the base's seed) or per_point
    axes:
      - path: soc.dram.arbitration         # a dotted key path, as --set takes
        values: [fcfs, priority]           # scalars, or whole blocks (mappings)
      - path: soc.flexnn.lanes
        range: {start: 4, stop: 16, step: 4}   # 4, 8, 12, 16: stop included when reached

Grid points vary the last axis fastest; zip takes the i-th value of every axis (all
axes of one length). Seed rule `per_point`: point i runs with the base seed + i.
Every point's scenario is loaded and checked before any runs.

The sweep folder (`--out DIR`) holds `.flexsoc-sweep` (its marker), `points/<key>/`
(one run folder per point, as `soc run` writes it; the key is the first 16 hex
digits of the sha256 of the resolved scenario's canonical JSON) and the results
table `results.parquet` (`results.csv` on request), rewritten after every point,
one row per point finished, sorted by point. Its schema metadata `flexsoc.sweep`
holds JSON: base, mode, seed, axes (paths, in order), set.

Columns, in this order (a metric a run does not have is null):

- ``point`` (int), ``key``, ``status`` (``ok`` | ``failed``), ``error`` (one line,
  null if ok), ``run_folder`` (relative to the sweep folder), ``wall_s`` (the run's
  wall seconds; when reused, the earlier table's, or null), ``reused`` (bool: the run
  folder was complete and not run again; failed points are always run again)
- ``set.<path>`` per axis, in axis order: the point's value (strings, booleans, ints
  or floats as given; blocks, lists and mixed types as one-line YAML text)
- ``total_ps``, ``frames`` (frames finished, every pipeline), ``frame_latency_p50_ps``,
  ``frame_latency_p99_ps`` (over every frame), ``deadline_misses``,
  ``energy_total_pj``, ``energy_per_frame_pj`` (the whole run's energy, static and
  masters included, over its frames), ``display_underflows`` (sum over display
  masters), ``camera_late_lines`` (sum over cameras), ``dram.bandwidth_bytes_per_s``
- then, sorted by name: ``dram.<master>.bandwidth_bytes_per_s``,
  ``dram.<master>.latency_p99_ps`` (completed requests), ``energy.<component>_pj``
  (cpu, dma, dram, noc, npu, sram, ...: its total), ``master.<name>.underflows``
  (displays), ``master.<name>.late_lines`` (cameras), and per pipeline
  ``pipeline.<name>.latency_p50_ps``, ``.latency_p99_ps``, ``.deadline_misses``,
  ``.energy_per_frame_pj`` (the energy of its ops, as summary.json gives it).
"""

from __future__ import annotations

from soc.sweeps.execute import run_sweep
from soc.sweeps.metrics import key_metrics
from soc.sweeps.spec import SweepSpec, read_spec

__all__ = ["SweepSpec", "key_metrics", "read_spec", "run_sweep"]
