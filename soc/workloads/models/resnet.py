"""ResNet-50 (v1.5, and the original v1) as a full operator graph."""

from __future__ import annotations

from soc.workloads.graph import Graph, GraphBuilder
from soc.workloads.models._blocks import conv_act

# (bottleneck width, blocks, stride of the stage's first block): He et al. 2016, Table 1
STAGES = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))


def resnet50(
    size: int = 224, classes: int = 1000, softmax: bool = False, v1: bool = False
) -> Graph:
    """ResNet-50 v1.5 (torchvision `resnet50`): conv1 7x7/2 + ReLU, maxpool 3x3/2 pad 1,
    16 bottlenecks (1x1, 3x3, 1x1; the stride on the 3x3 conv, as in v1.5; a 1x1
    strided `downsample` conv on each stage's first block), residual add + ReLU, global
    average pool, flatten, fc. Batch norm is folded into the convs. The output is the
    fc's logits, as torchvision's model returns; `softmax=True` appends a softmax.

    Layer names are torchvision's module names (conv1, layer1.0.conv1 ... layer4.2.conv3,
    layerN.0.downsample, fc) and the conv / fc shapes are those of `zoo.resnet50()`.
    Shapes: He et al., "Deep Residual Learning", CVPR 2016, Table 1; torchvision
    `models/resnet.py` (v1.5: stride on conv2).

    `v1=True` is the original ResNet-50 v1 (He et al.; SCALE-Sim's `Resnet50.csv`): the
    stride of a stage's first block on its first 1x1 conv instead of the 3x3, so
    3/4 x S^2 x C_in x width fewer MACs in each of stages 2-4: 3,857,973,248 MACs (the
    paper's "3.8 x 10^9 FLOPs" are multiply-adds, cut to one decimal); the same
    parameters.

    Totals at 224 x 224, 1000 classes (MACs of conv + fc only):
      MACs 4,089,184,256 (conv 4,087,136,256 + fc 2,048,000); torchvision lists
      4.09 GFLOPS (its "FLOPS" are multiply-adds), the paper 3.8e9 FLOPs (v1, stride
      on the 1x1 conv: fewer MACs).
      Parameters 25,530,472 with BN folded (conv weights 23,454,912 + one bias per conv
      channel 26,560 + fc 2,049,000). torchvision's 25,557,032 counts BN's gamma and
      beta instead of a bias (one more per channel: 25,530,472 + 26,560); its running
      mean and variance are buffers, not parameters.
    """
    b = GraphBuilder("resnet50_v1" if v1 else "resnet50")
    x = b.input("input", (3, size, size))
    x = conv_act(b, "conv1", x, 64, 7, stride=2, padding=3, act_name="relu")
    x = b.pool("pool1", x, "maxpool", 3, stride=2, padding=1)
    for stage, (width, blocks, stride) in enumerate(STAGES, start=1):
        for i in range(blocks):
            name = f"layer{stage}.{i}"
            s = stride if i == 0 else 1
            s1, s3 = (s, 1) if v1 else (1, s)
            y = conv_act(b, f"{name}.conv1", x, width, 1, s1, act_name=f"{name}.relu1")
            y = conv_act(b, f"{name}.conv2", y, width, 3, s3, act_name=f"{name}.relu2")
            y = conv_act(b, f"{name}.conv3", y, 4 * width, 1, act=None)
            if i == 0:
                x = b.conv(f"{name}.downsample", x, 4 * width, kernel=1, stride=s)
            y = b.elementwise(f"{name}.add", y, x, "add")
            x = b.activation(f"{name}.relu", y, "relu")
    x = b.global_pool("avgpool", x)
    x = b.reshape("flatten", x, (b.shape(x)[0],), kind="flatten")
    x = b.fc("fc", x, classes)
    if softmax:
        x = b.op("softmax", "softmax", [x], b.shape(x), axis=-1)
    return b.build([x])
