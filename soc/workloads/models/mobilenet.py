"""MobileNetV2 and MobileNetV3-Small as full operator graphs (torchvision's layouts)."""

from __future__ import annotations

from soc.workloads.graph import Graph, GraphBuilder
from soc.workloads.models._blocks import RELU6, conv_act

# MobileNetV2 inverted residuals (expansion t, output channels c, repeats n, stride s):
# Sandler et al. 2018, Table 2
V2_BLOCKS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)

# MobileNetV3-Small bnecks (kernel, expanded, out, squeeze-excite, activation, stride):
# Howard et al. 2019, Table 2 (torchvision `_mobilenet_v3_conf("mobilenet_v3_small")`)
V3_SMALL_BLOCKS = (
    (3, 16, 16, True, "relu", 2),
    (3, 72, 24, False, "relu", 2),
    (3, 88, 24, False, "relu", 1),
    (5, 96, 40, True, "hardswish", 2),
    (5, 240, 40, True, "hardswish", 1),
    (5, 240, 40, True, "hardswish", 1),
    (5, 120, 48, True, "hardswish", 1),
    (5, 144, 48, True, "hardswish", 1),
    (5, 288, 96, True, "hardswish", 2),
    (5, 576, 96, True, "hardswish", 1),
    (5, 576, 96, True, "hardswish", 1),
)


def make_divisible(v: float, divisor: int = 8) -> int:
    """The channel rounding of the MobileNet reference code: to the nearest multiple of
    `divisor`, never below 90 % of `v`."""
    out = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return out + divisor if out < 0.9 * v else out


def _classifier_head(b: GraphBuilder, x: str, softmax: bool) -> str:
    if softmax:
        return b.op("softmax", "softmax", [x], b.shape(x), axis=-1)
    return x


def mobilenetv2(size: int = 224, classes: int = 1000, softmax: bool = False) -> Graph:
    """MobileNetV2 1.0 / 224 (torchvision `mobilenet_v2`): conv 3x3/2 32 + ReLU6, 17
    inverted residuals (1x1 expand + ReLU6, 3x3 depthwise + ReLU6, 1x1 linear project; a
    residual add where stride 1 and channels in == out), conv 1x1 1280 + ReLU6, global
    average pool, flatten, fc. ReLU6 is a `clip` op (min 0, max 6). BN is folded into the
    convs; dropout (training only) is left out. Output: logits (`softmax=True` appends a
    softmax).

    Names are torchvision's modules: `features.0.0` (first conv), `features.N.conv.0.0`
    (expand), `features.N.conv.1.0` (depthwise; `conv.0.0` in block 1, which does not
    expand), `features.N.conv.2` (project; `conv.1` in block 1), `features.18.0`,
    `classifier.1`; activations `... .2`, residual adds `features.N.add`.
    Shapes: Sandler et al., "MobileNetV2", CVPR 2018, Table 2; torchvision
    `models/mobilenetv2.py`.

    Totals at 224 x 224, 1000 classes: MACs 300,774,272 (conv 299,494,272 + fc
    1,280,000); the paper says 300 M multiply-adds, torchvision 0.30 GFLOPS.
    Parameters 3,487,816 with BN folded (weights 3,469,760 + a bias per conv channel
    17,056 + fc bias 1,000). torchvision's exact 3,504,872 counts BN's gamma and beta
    instead of a bias: one more per conv channel, 3,487,816 + 17,056. The paper's
    3.4 M is the folded count truncated (3.49 M); torchvision's docs round theirs to 3.5 M.
    """
    b = GraphBuilder("mobilenetv2")
    x = b.input("input", (3, size, size))
    x = conv_act(b, "features.0.0", x, 32, 3, 2, act="clip", act_name="features.0.2", **RELU6)
    channels, index = 32, 1
    for t, c, n, s in V2_BLOCKS:
        for i in range(n):
            stride = s if i == 0 else 1
            name = f"features.{index}"
            y, part = x, 0
            hidden = channels * t
            if t != 1:
                y = _cbr6(b, f"{name}.conv.{part}", y, hidden, 1, 1, 1)
                part += 1
            y = _cbr6(b, f"{name}.conv.{part}", y, hidden, 3, stride, hidden)
            y = b.conv(f"{name}.conv.{part + 1}", y, c, kernel=1)
            if stride == 1 and channels == c:
                y = b.elementwise(f"{name}.add", x, y, "add")
            x, channels, index = y, c, index + 1
    x = _cbr6(b, f"features.{index}", x, 1280, 1, 1, 1)
    x = b.global_pool("avgpool", x)
    x = b.reshape("flatten", x, (1280,), kind="flatten")
    x = b.fc("classifier.1", x, classes)
    return b.build([_classifier_head(b, x, softmax)])


def _cbr6(b: GraphBuilder, name: str, x: str, k: int, kernel: int, stride: int, groups: int) -> str:
    """torchvision's Conv2dNormActivation with ReLU6: conv `name.0`, BN `name.1`
    (folded), ReLU6 `name.2`."""
    return conv_act(
        b, f"{name}.0", x, k, kernel, stride, groups=groups, act="clip",
        act_name=f"{name}.2", **RELU6,
    )  # fmt: skip


def mobilenetv3_small(size: int = 224, classes: int = 1000, softmax: bool = False) -> Graph:
    """MobileNetV3-Small 1.0 / 224 (torchvision `mobilenet_v3_small`): conv 3x3/2 16 +
    hardswish, 11 bnecks (1x1 expand unless expanded == input channels, k x k depthwise,
    each + ReLU or hardswish; squeeze-excite where marked; 1x1 linear project; residual
    add at stride 1 with channels in == out), conv 1x1 576 + hardswish, global average
    pool, flatten, fc 1024 + hardswish, fc 1000 (dropout left out). Squeeze-excite =
    global average pool -> 1x1 conv (with bias) to make_divisible(expanded / 4) -> ReLU ->
    1x1 conv back -> hardsigmoid -> `mul` with the block's tensor. BN is folded into the
    convs. Output: logits (`softmax=True` appends a softmax).

    Names are torchvision's modules: `features.0.0`, `features.N.block.M.0` (a conv of
    the bneck), `features.N.block.M.fc1` / `.fc2` (SE), `features.12.0`,
    `classifier.0`, `classifier.3`; activations `... .2`, residual adds `features.N.add`.
    Shapes: Howard et al., "Searching for MobileNetV3", ICCV 2019, Table 2; torchvision
    `models/mobilenetv3.py`.

    Totals at 224 x 224, 1000 classes: MACs 56,510,400 (conv 54,896,576 + fc
    1,613,824); the paper lists 56 M MAdds (Table 3), torchvision 0.06 GFLOPS. Ours is
    0.9 % above 56 M; leaving out the squeeze-excite convs (458,752 MACs on 1 x 1 maps)
    gives 56.05 M, which may be how the paper counted (it does not say).
    Parameters 2,536,800 with BN folded (weights 2,525,832 + biases 10,968: 6,056 folded
    BN channels, 2,888 SE conv biases, 2,024 fc biases). torchvision's exact 2,542,856
    counts BN's gamma and beta instead of a folded bias: one more per BN channel,
    2,536,800 + 6,056 (the SE convs have a true bias and no BN). The paper says 2.5 M.
    """
    b = GraphBuilder("mobilenetv3_small")
    x = b.input("input", (3, size, size))
    x = conv_act(b, "features.0.0", x, 16, 3, 2, act="hardswish", act_name="features.0.2")
    channels = 16
    for index, (kernel, expanded, out, se, act, stride) in enumerate(V3_SMALL_BLOCKS, start=1):
        name = f"features.{index}.block"
        y, part = x, 0
        if expanded != channels:
            y = conv_act(b, f"{name}.0.0", y, expanded, 1, act=act, act_name=f"{name}.0.2")
            part += 1
        y = conv_act(
            b, f"{name}.{part}.0", y, expanded, kernel, stride, groups=expanded, act=act,
            act_name=f"{name}.{part}.2",
        )  # fmt: skip
        part += 1
        if se:
            y = _squeeze_excite(b, f"{name}.{part}", y, make_divisible(expanded / 4))
            part += 1
        y = conv_act(b, f"{name}.{part}.0", y, out, 1, act=None)
        if stride == 1 and channels == out:
            y = b.elementwise(f"features.{index}.add", x, y, "add")
        x, channels = y, out
    last = len(V3_SMALL_BLOCKS) + 1
    x = conv_act(b, f"features.{last}.0", x, 576, 1, act="hardswish", act_name=f"features.{last}.2")
    x = b.global_pool("avgpool", x)
    x = b.reshape("flatten", x, (576,), kind="flatten")
    x = b.fc("classifier.0", x, 1024)
    x = b.activation("classifier.1", x, "hardswish")
    x = b.fc("classifier.3", x, classes)
    return b.build([_classifier_head(b, x, softmax)])


def _squeeze_excite(b: GraphBuilder, name: str, x: str, squeeze: int) -> str:
    channels = b.shape(x)[0]
    s = b.global_pool(f"{name}.avgpool", x)
    s = conv_act(b, f"{name}.fc1", s, squeeze, 1, act="relu", act_name=f"{name}.activation")
    s = conv_act(
        b, f"{name}.fc2", s, channels, 1, act="hardsigmoid",
        act_name=f"{name}.scale_activation",
    )  # fmt: skip
    return b.elementwise(f"{name}.scale", x, s, "mul")
