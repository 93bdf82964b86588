"""What every DRAM model shares: the address check, the counts of a request accepted and
served, its span, and its latency sample. A model implements `_handle`."""

from __future__ import annotations

from collections.abc import Generator

import simpy

from soc.config import DramConfig
from soc.kernel import Action, Component, Level, MemRequest, SpanKind


class DramTarget(Component):
    """A memory target (`transact`). Subclasses set `config` and implement `_handle`."""

    config: DramConfig

    def transact(self, req: MemRequest) -> Generator[simpy.Event, object, None]:
        """Serve `req`; finishes when its data is back (read) or written."""
        cfg = self.config
        if not cfg.base_addr <= req.addr <= cfg.base_addr + cfg.size_bytes - req.size_bytes:
            raise ValueError(f"{req!r} is outside {self.path}")
        self.count(Action.DRAM_ACCEPTED_BYTE, req.size_bytes, req.master)
        accepted = [self.env.now]
        with self.span(
            SpanKind.DRAM_ACCESS,
            Level.REQUEST,
            overlap=True,
            master=req.master,
            bytes=req.size_bytes,
            write=req.is_write,
        ):
            yield from self._handle(req, accepted)
        action = Action.DRAM_WRITE_BYTE if req.is_write else Action.DRAM_READ_BYTE
        self.count(action, req.size_bytes, req.master)
        self.sample("latency_ps", self.env.now - accepted[0], req.master)

    def _handle(self, req: MemRequest, accepted: list[int]) -> Generator[simpy.Event, object, None]:
        """The model's own service of `req`. It may move `accepted[0]` to when the
        controller really took the request (the latency counts from there)."""
        raise NotImplementedError
