"""The FlexNN engine: a sequencer and load / compute / drain processes.

Life cycle of a layer (`launch(plan)` returns its completion interrupt):

- `_sequence` asks the DMA for each SRAM tile's IF/FL, at most `prefetch_tiles` tiles
  ahead of the tile being computed (a tile's buffers are free again once its outputs are
  written back);
- `_load` moves each round's IF and FL from the SRAM banks into a free half of the
  double-buffered IF/FL register files, and the partial sums of an output tile that
  resumes its reduction into the OF register file (all at `load_bytes_per_cycle`);
- `_compute` runs a loaded round for its precomputed cycle count, holding a half of the
  double-buffered OF register file from the first to the last reduction round of an
  output tile;
- `_drain` writes finished outputs back to the SRAM (at `drain_bytes_per_cycle`) and,
  after a tile's last round, asks the DMA to write the tile to DRAM.

A row of the layer's round table may stand for several rounds run as one step
(`soc.flexnn.round_batch`, see `soc.flexnn.batching`); the hand-offs between the phases
cost a SimPy event only when a phase has to wait (`soc.kernel.handoff`).

Compute stalls are attributed: the part of a wait for a round during which that
round's load waited for its tile's DMA is dma-bound, the rest load-bound; waiting for a
free OF half is drain-bound.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Protocol

import simpy

from soc.config import FlexNNConfig
from soc.flexnn.plan import LayerPlan, SramTile
from soc.kernel import (
    Action,
    ClockDomain,
    Component,
    Level,
    MemRequest,
    Port,
    Recorder,
    SpanKind,
    StallCause,
)
from soc.kernel.handoff import EMPTY, Queue, Slots
from soc.kernel.ports import DmaService
from soc.kernel.vocab import LAYER_START


class BankedSram(Protocol):
    """The engine's local memory: `access` starts a request now and returns when it ends
    (the engine waits for it together with its own load or drain path)."""

    def access(self, req: MemRequest) -> int: ...


class _Job:
    """Run-time state of one launched layer."""

    __slots__ = (
        "plan",
        "done",
        "finished",
        "start_ps",
        "tile_ready",
        "tile_slots",
        "tiles_written",
        "last_round_of_tile",
        "rounds",
        "busy_ps",
        "stall_ps",
        "name",
    )

    def __init__(self, env: simpy.Environment, plan: LayerPlan, slots: int) -> None:
        self.plan = plan
        self.done = env.event()
        self.finished = env.event()
        self.start_ps = env.now
        self.tile_ready = [env.event() for _ in plan.tiles]
        self.tile_slots = simpy.Container(env, capacity=slots, init=slots)
        self.tiles_written = 0
        self.last_round_of_tile = {t.first_round + t.n_rounds - 1: t for t in plan.tiles}
        table = plan.rounds
        # Python lists: indexing them per round is several times faster than numpy scalars.
        self.rounds = {
            name: getattr(table, name).tolist()
            for name in table.__dataclass_fields__
            if getattr(table, name) is not None
        }
        # batched rounds (`soc.flexnn.batching`): how many rounds a row stands for, and
        # the first of them (what the trace calls the row)
        per_row = table.rounds_per_row
        self.rounds["n"] = [1] * len(table) if per_row is None else per_row.tolist()
        self.rounds["label"] = (
            list(range(len(table))) if per_row is None else (per_row.cumsum() - per_row).tolist()
        )
        sparse = plan.sparse
        self.rounds["cycles"] = (sparse.cycles if sparse else table.compute_cycles).tolist()
        self.rounds["performed"] = (sparse.performed if sparse else table.macs).tolist()
        if sparse is not None and per_row is None:  # batched tables carry them scaled
            updates, reads = sparse.accumulator_accesses(
                table.macs, table.of_updates, table.of_reads
            )
            self.rounds["of_updates"], self.rounds["of_reads"] = updates.tolist(), reads.tolist()
        self.busy_ps = {SpanKind.LOAD: 0, SpanKind.COMPUTE: 0, SpanKind.DRAIN: 0}
        self.stall_ps = dict.fromkeys(StallCause, 0)
        self.name = plan.name


class FlexNNEngine(Component):
    """Ports: `sram` (the CMX banks) and `dma` (the DMA engine). Control: `launch`."""

    def __init__(
        self,
        env: simpy.Environment,
        path: str,
        config: FlexNNConfig,
        recorder: Recorder,
        seed: int = 0,
    ) -> None:
        super().__init__(env, path, ClockDomain(config.freq_hz), recorder, seed)
        self.config = config
        self.sram: Port[BankedSram] = self.port("sram")
        self.dma: Port[DmaService] = self.port("dma")
        self._jobs: simpy.Store = simpy.Store(env)
        self._to_load: simpy.Store = simpy.Store(env)
        # the round hand-offs cost an event only when a phase has to wait
        self._loaded = Queue(env)
        self._computed = Queue(env)
        self._in_rf = Slots(env, 2)  # the halves of the double-buffered IF/FL RFs
        self._of_rf = Slots(env, 2)  # the halves of the double-buffered OF RF
        self._pes = config.pe_rows * config.pe_cols
        self._phase_spans = recorder.level >= Level.PHASE

    def start(self) -> None:
        for process in (self._sequence, self._load, self._compute, self._drain):
            self.env.process(process())

    def launch(self, job: LayerPlan) -> simpy.Event:
        """Start `job` when the engine is free; the event is its completion interrupt."""
        state = _Job(self.env, job, self.config.prefetch_tiles + 1)
        self._jobs.put(state)
        return state.done

    # -- processes ---------------------------------------------------------------------

    def _sequence(self) -> Generator[simpy.Event, object, None]:
        """Fetch SRAM tiles ahead of the engine, one layer at a time."""
        dma = self.dma.peer
        while True:
            job: _Job = yield self._jobs.get()
            job.start_ps = self.env.now
            self.instant(LAYER_START, layer=job.plan.name)
            self._to_load.put(job)
            for tile in job.plan.tiles:
                yield job.tile_slots.get(1)
                fetched = [dma.submit(transfer) for transfer in tile.fetches]
                ready = job.tile_ready[tile.index]
                self.env.all_of(fetched).callbacks.append(lambda _e, ev=ready: ev.succeed())
            yield job.finished

    def _load(self) -> Generator[simpy.Event, object, None]:
        """SRAM -> IF/FL register files, one round at a time."""
        env, access, activity, path = self.env, self.sram.peer.access, self._activity, self.path
        track = f"{path}.load"
        master = track
        in_rf, loaded = self._in_rf, self._loaded
        per_cycle, ps = self.config.load_bytes_per_cycle, self.clock.ps
        while True:
            job: _Job = yield self._to_load.get()
            rounds, tile_ready = job.rounds, job.tile_ready
            delivered = rounds["delivered_bytes"]
            if_bytes, fl_bytes = rounds["if_bytes"], rounds["fl_bytes"]
            if_addr, fl_addr = rounds["if_sram_addr"], rounds["fl_sram_addr"]
            psum_bytes, psum_addr = rounds["psum_bytes"], rounds["psum_sram_addr"]
            for r, tile in enumerate(rounds["tile"]):
                ready = tile_ready[tile]
                dma_wait = (env.now, env.now)
                if not ready.triggered:
                    with self.span(SpanKind.STALL, track=track, cause=StallCause.DMA.value):
                        yield ready
                    dma_wait = (dma_wait[0], env.now)
                wait = in_rf.take()
                if wait is not None:
                    yield wait
                start = env.now
                if_size, fl_size, psum_size = if_bytes[r], fl_bytes[r], psum_bytes[r]
                end = start + ps(-(-(if_size + fl_size + psum_size) // per_cycle))
                if if_size:
                    end = max(end, access(MemRequest(if_addr[r], if_size, False, master)))
                if fl_size:
                    end = max(end, access(MemRequest(fl_addr[r], fl_size, False, master)))
                if psum_size:
                    end = max(end, access(MemRequest(psum_addr[r], psum_size, False, master)))
                yield env.timeout(end - start)
                self._record(job, SpanKind.LOAD, track, start, r)
                if delivered[r]:  # what `count` reports, without its call per amount
                    activity(env.now, path, Action.ARRAY_DELIVERY_BYTE, delivered[r], None)
                    activity(env.now, path, Action.RF_WRITE_BYTE, delivered[r], None)
                loaded.put((job, r, dma_wait))

    def _compute(self) -> Generator[simpy.Event, object, None]:
        """Run loaded rounds; partial sums stay in the OF register file."""
        env, activity, ps, path = self.env, self._activity, self.clock.ps, self.path
        track = f"{path}.compute"
        cfg = self.config
        lanes, data, acc = self._pes * cfg.lanes, cfg.data_bytes, cfg.acc_bytes
        loaded, computed, in_rf, of_rf = self._loaded, self._computed, self._in_rf, self._of_rf
        while True:
            waited_from = env.now
            item = loaded.get()
            if item is EMPTY:
                item = yield loaded.wait()
            job, r, (dma_from, dma_until) = item
            # The part of the wait during which the load itself waited for the DMA is
            # dma-bound; the rest is load-bound.
            now = env.now
            since = max(waited_from, job.start_ps)
            if since < now:
                split = min(max(dma_from, since), now)
                self._stall(job, track, StallCause.LOAD, since, split)
                self._stall(job, track, StallCause.DMA, split, min(dma_until, now))
                self._stall(job, track, StallCause.LOAD, max(split, dma_until), now)
            rounds = job.rounds
            if rounds["opens_output"][r]:
                waited_from = env.now
                wait = of_rf.take()
                if wait is not None:
                    yield wait
                    self._stall(job, track, StallCause.DRAIN, waited_from, env.now)
            start = env.now
            cycles = rounds["cycles"][r]
            yield env.timeout(ps(cycles))
            self._record(job, SpanKind.COMPUTE, track, start, r)
            now = env.now
            performed, macs = rounds["performed"][r], rounds["macs"][r]
            for action, amount in (  # what `count` reports, without its call per amount
                (Action.MAC, performed),
                (Action.MAC_GATED, macs - performed),
                (Action.MAC_SLOT, cycles * lanes),
                # operand reads, and the OF accumulator's read-modify-writes (fewer when
                # zero pairs are skipped: see SparseRounds.accumulator_accesses)
                (Action.RF_READ_BYTE, 2 * performed * data + rounds["of_reads"][r] * acc),
                (Action.RF_WRITE_BYTE, rounds["of_updates"][r] * acc),
            ):
                if amount:
                    activity(now, path, action, amount, None)
            if job.plan.sparse is not None:
                self.count(Action.SPARSITY_PE_ROUND, self._pes * rounds["n"][r])
            in_rf.give()
            if rounds["closes_output"][r]:
                computed.put((job, r))
            elif r in job.last_round_of_tile:  # outputs stay in the PEs past this tile
                self._tile_done(job, job.last_round_of_tile[r])

    def _drain(self) -> Generator[simpy.Event, object, None]:
        """OF register file -> SRAM; after a tile's last round, SRAM -> DRAM by DMA."""
        env, access, ps = self.env, self.sram.peer.access, self.clock.ps
        track = f"{self.path}.drain"
        per_cycle = self.config.drain_bytes_per_cycle
        computed, of_rf = self._computed, self._of_rf
        while True:
            item = computed.get()
            if item is EMPTY:
                item = yield computed.wait()
            job, r = item
            rounds = job.rounds
            start = env.now
            of_bytes = rounds["of_bytes"][r]
            req = MemRequest(rounds["of_sram_addr"][r], of_bytes, True, track)
            end = max(start + ps(-(-of_bytes // per_cycle)), access(req))
            yield env.timeout(end - start)
            self._record(job, SpanKind.DRAIN, track, start, r)
            self.count(Action.RF_READ_BYTE, of_bytes)
            of_rf.give()
            if r in job.last_round_of_tile:
                self._tile_done(job, job.last_round_of_tile[r])

    # -- bookkeeping -------------------------------------------------------------------

    def _record(self, job: _Job, kind: SpanKind, track: str, start: int, r: int) -> None:
        now = self.env.now
        job.busy_ps[kind] += now - start
        if self._phase_spans:
            rounds = job.rounds
            fields = {"layer": job.name, "round": rounds["label"][r], "tile": rounds["tile"][r]}
            self.recorder.span(start, now, track, kind, fields, False)

    def _stall(self, job: _Job, track: str, cause: StallCause, since: int, until: int) -> None:
        """Book the compute phase's wait [since, until) of `job` to `cause`."""
        since = max(since, job.start_ps)
        if until <= since:
            return
        job.stall_ps[cause] += until - since
        if self._phase_spans:
            fields = {"layer": job.name, "cause": cause.value}
            self.recorder.span(since, until, track, SpanKind.STALL, fields, False)

    @staticmethod
    def _sparsity_fields(plan: LayerPlan) -> dict[str, object]:
        """Dense vs sparse cycles, analytic estimates and the imbalance loss."""
        dense = int(plan.rounds.compute_cycles.sum())
        if plan.sparse is None:
            return {
                "sparse_cycles": dense,
                "performed_macs": int(plan.rounds.macs.sum()),
                "balanced_cycles": dense,
                "if_density": 1.0,
                "fl_density": 1.0,
            }
        return {
            "sparse_cycles": int(plan.sparse.cycles.sum()),
            "performed_macs": int(plan.sparse.performed.sum()),
            "balanced_cycles": int(plan.sparse.balanced.sum()),
            "if_density": plan.densities[0],
            "fl_density": plan.densities[1],
        }

    def _tile_done(self, job: _Job, tile: SramTile) -> None:
        """Every round of `tile` has run: write its outputs back, then free its buffers."""
        if not tile.writebacks:
            self._tile_written(job)
            return
        written = [self.dma.peer.submit(transfer) for transfer in tile.writebacks]
        self.env.all_of(written).callbacks.append(lambda _e, j=job: self._tile_written(j))

    def _tile_written(self, job: _Job) -> None:
        job.tile_slots.put(1)
        job.tiles_written += 1
        if job.tiles_written == len(job.plan.tiles):
            self._finish(job)

    def _finish(self, job: _Job) -> None:
        """Report the layer's statistics and raise its completion interrupt."""
        elapsed = self.env.now - job.start_ps
        plan = job.plan
        table = plan.rounds
        stalls = {cause.value: ps for cause, ps in job.stall_ps.items()}
        total_stall = sum(stalls.values())
        bound = max(stalls, key=stalls.get) if total_stall * 10 > elapsed else "compute-bound"
        slots = self.clock.cycles(elapsed) * self._pes * self.config.lanes
        fields = {
            "layer": plan.name,
            "op": plan.layer.op,
            "dataflow": plan.descriptor.name,
            "loop_nest": plan.descriptor.describe(),
            "macs": int(table.macs.sum()),
            "rounds": table.round_count,
            "tiles": len(plan.tiles),
            "compute_cycles": int(table.compute_cycles.sum()),
            **self._sparsity_fields(plan),
            "load_ps": job.busy_ps[SpanKind.LOAD],
            "compute_ps": job.busy_ps[SpanKind.COMPUTE],
            "drain_ps": job.busy_ps[SpanKind.DRAIN],
            "stall_ps": stalls,
            "bound": bound,
            "mac_utilisation": int(table.macs.sum()) / slots if slots else 0.0,
        }
        self.recorder.span(job.start_ps, self.env.now, self.path, SpanKind.LAYER, fields, False)
        self.log("layer done", layer=plan.name, elapsed_ps=elapsed, bound=bound)
        job.finished.succeed()
        job.done.succeed()
