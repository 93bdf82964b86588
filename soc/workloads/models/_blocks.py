"""Small pieces the model graphs share: a convolution followed by its activation, and
TF 'SAME' padding.

Batch norm never appears as an op: it is folded into the convolution before it (its
scale into the weights, its shift into the conv's bias), as inference runtimes deploy
it. `Graph.parameters` therefore counts one bias per output channel of every conv.
"""

from __future__ import annotations

from soc.workloads.graph import GraphBuilder

# torchvision's ReLU6 is an ONNX Clip(min 0, max 6)
RELU6 = {"min": 0.0, "max": 6.0}


def conv_act(
    b: GraphBuilder,
    name: str,
    x: str,
    k: int,
    kernel: int | tuple[int, int] = 1,
    stride: int = 1,
    padding: int | tuple[int, int, int, int] | None = None,
    groups: int = 1,
    act: str | None = "relu",
    act_name: str | None = None,
    **attrs: float,
) -> str:
    """`name` = a conv (BN folded) and, unless `act` is None, its activation
    `act_name` (default `name + '.act'`). Padding defaults to kernel // 2 ('same' for
    odd kernels at stride 1). Returns the block's output tensor."""
    r, s = (kernel, kernel) if isinstance(kernel, int) else kernel
    if padding is None:
        padding = (r // 2, s // 2, r // 2, s // 2)
    y = b.conv(name, x, k, kernel=(r, s), stride=stride, padding=padding, groups=groups)
    if act is None:
        return y
    return b.activation(act_name or f"{name}.act", y, act, **attrs)


def same_pads(size: tuple[int, int], kernel: tuple[int, int], stride: int) -> tuple[int, ...]:
    """TF 'SAME' padding (top, left, bottom, right): the output is ceil(size / stride)
    and the odd pixel of padding goes to the bottom / right."""
    pads = []
    for n, r in zip(size, kernel, strict=True):
        out = -(-n // stride)
        pads.append(max((out - 1) * stride + r - n, 0))
    (ph, pw) = pads
    return (ph // 2, pw // 2, ph - ph // 2, pw - pw // 2)
