"""Built-in networks, and turning a workload config into layers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from soc.config import WorkloadConfig
from soc.errors import WorkloadError
from soc.workloads.graph import Graph, graph_of_layers
from soc.workloads.layers import Layer, check_chain
from soc.workloads.models import GRAPHS


def edge_cnn() -> list[Layer]:
    """A small edge CNN over a 64 x 64 RGB input: conv, depthwise, pointwise, conv, FC."""
    return [
        Layer("conv1", "conv", c=3, k=16, h=64, w=64, r=3, s=3, stride=2, padding=1),
        Layer("dw2", "dwconv", c=16, k=16, h=32, w=32, r=3, s=3, stride=1, padding=1),
        Layer("pw3", "conv", c=16, k=32, h=32, w=32),
        Layer("conv4", "conv", c=32, k=64, h=32, w=32, r=3, s=3, stride=2, padding=1),
        Layer("fc5", "fc", c=64 * 16 * 16, k=64),
    ]


def resnet50() -> list[Layer]:
    """ResNet-50 v1.5 at 224 x 224: its 53 convolutions and the classifier. Pooling and
    residual additions are not layers of the accelerator: a layer after one names it as
    its source (e.g. 'pool1', 'layer2.0.add')."""
    layers = [Layer("conv1", "conv", c=3, k=64, h=224, w=224, r=7, s=7, stride=2, padding=3)]
    block_input, channels, size = "pool1", 64, 56
    for stage, (width, blocks, stride) in enumerate(
        ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)), start=1
    ):
        for b in range(blocks):
            name = f"layer{stage}.{b}"
            s = stride if b == 0 else 1
            out = size // s
            layers += [
                Layer(
                    f"{name}.conv1", "conv", c=channels, k=width, h=size, w=size, source=block_input
                ),
                Layer(
                    f"{name}.conv2",
                    "conv",
                    c=width,
                    k=width,
                    h=size,
                    w=size,
                    r=3,
                    s=3,
                    stride=s,
                    padding=1,
                ),
                Layer(f"{name}.conv3", "conv", c=width, k=4 * width, h=out, w=out),
            ]
            if b == 0:
                layers.append(
                    Layer(
                        f"{name}.downsample",
                        "conv",
                        c=channels,
                        k=4 * width,
                        h=size,
                        w=size,
                        stride=s,
                        source=block_input,
                    )
                )
            block_input, channels, size = f"{name}.add", 4 * width, out
    layers.append(Layer("fc", "fc", c=2048, k=1000, source="avgpool"))
    return layers


# networks written as layer lists; the zoo's other networks are graphs (`GRAPHS`)
ZOO: dict[str, Callable[[], list[Layer]]] = {"edge_cnn": edge_cnn}


def load_graph(config: WorkloadConfig) -> Graph:
    """The operator graph a workload config names: an inline layer list (checked to
    chain), a zoo model, an ONNX file or a SCALE-Sim topology CSV."""
    if config.layers is not None:
        return graph_of_layers("layers", _inline_layers(config))
    kind, _, name = (config.model or "").partition(":")
    if kind == "onnx":
        from soc.workloads.onnx_import import load_onnx

        return load_onnx(Path(name))
    if kind == "scalesim":
        from soc.workloads.scalesim import load_scalesim

        padding = config.padding or "none"
        graph = load_scalesim(Path(name), padding)
        if padding == "none":
            note = (
                "SCALE-Sim topology without padding, as SCALE-Sim counts it: output = "
                "(input - kernel) / stride + 1 (workload.padding: same pads as the network)"
            )
            graph = replace(graph, notes=(*graph.notes, note))
        return graph
    if name in GRAPHS:
        return GRAPHS[name]()
    if name in ZOO:
        layers = ZOO[name]()
        check_chain(layers)
        return graph_of_layers(name, layers)
    known = ", ".join(sorted(set(ZOO) | set(GRAPHS)))
    raise WorkloadError(f"workload.model: unknown zoo model {name!r} (known: {known})")


def load_workload(config: WorkloadConfig) -> list[Layer]:
    """The accelerator layers (every conv and fc) of the workload's graph, in order."""
    return load_graph(config).layers


def _inline_layers(config: WorkloadConfig) -> list[Layer]:
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
            source=lc.source,
        )
        for lc in config.layers
    ]
    check_chain(layers)
    return layers
