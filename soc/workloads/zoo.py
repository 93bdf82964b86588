"""Built-in networks, and turning a workload config into layers."""

from __future__ import annotations

from collections.abc import Callable

from soc.config import WorkloadConfig
from soc.errors import WorkloadError
from soc.workloads.layers import Layer, check_chain


def edge_cnn() -> list[Layer]:
    """A small edge CNN over a 64 x 64 RGB input: conv, depthwise, pointwise, conv, FC."""
    return [
        Layer("conv1", "conv", c=3, k=16, h=64, w=64, r=3, s=3, stride=2, padding=1),
        Layer("dw2", "dwconv", c=16, k=16, h=32, w=32, r=3, s=3, stride=1, padding=1),
        Layer("pw3", "conv", c=16, k=32, h=32, w=32),
        Layer("conv4", "conv", c=32, k=64, h=32, w=32, r=3, s=3, stride=2, padding=1),
        Layer("fc5", "fc", c=64 * 16 * 16, k=64),
    ]


ZOO: dict[str, Callable[[], list[Layer]]] = {"edge_cnn": edge_cnn}


def load_workload(config: WorkloadConfig) -> list[Layer]:
    """The layers a workload config names, checked to chain."""
    if config.layers is not None:
        layers = [
            Layer(
                name=lc.name,
                op=lc.op,
                c=lc.c,
                k=lc.c if lc.op == "dwconv" and lc.k is None else (lc.k or 0),
                h=lc.h,
                w=lc.w,
                r=lc.r,
                s=lc.s,
                stride=lc.stride,
                padding=lc.padding,
            )
            for lc in config.layers
        ]
    else:
        name = (config.model or "").removeprefix("zoo:")
        if name not in ZOO:
            known = ", ".join(sorted(ZOO))
            raise WorkloadError(f"workload.model: unknown zoo model {name!r} (known: {known})")
        layers = ZOO[name]()
    check_chain(layers)
    return layers
