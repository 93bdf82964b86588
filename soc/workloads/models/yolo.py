"""YOLOv5n (Ultralytics v6.0+) as a full operator graph."""

from __future__ import annotations

from soc.errors import WorkloadError
from soc.workloads.graph import Graph, GraphBuilder
from soc.workloads.models._blocks import conv_act

# yolov5n.yaml: depth_multiple 0.33 and width_multiple 0.25 applied to the YOLOv5 base
# (channels make_divisible(c * 0.25, 8); repeats max(round(n * 0.33), 1))
WIDTHS = {64: 16, 128: 32, 256: 64, 512: 128, 1024: 256}
ANCHORS_PER_LEVEL = 3


def yolov5n(size: int = 640, classes: int = 80) -> Graph:
    """YOLOv5n v6.0+ (Ultralytics `models/yolov5n.yaml`) at `size` x `size` (a multiple of
    32; 640 and 320 are the usual ones).

    Backbone: Conv 6x6/2 p2, Conv 3x3/2, C3 x1, Conv 3x3/2, C3 x2, Conv 3x3/2, C3 x3,
    Conv 3x3/2, C3 x1, SPPF (1x1, three chained 5x5/1 maxpools, concat, 1x1).
    Head (PANet): 1x1 conv, nearest 2x upsample (`resize`), concat with P4, C3 (no
    shortcut), 1x1 conv, upsample, concat with P3, C3 -> P3 out; 3x3/2 conv, concat, C3
    -> P4 out; 3x3/2 conv, concat, C3 -> P5 out. `Conv` = conv (BN folded) + SiLU; C3 =
    two parallel 1x1 convs to half the channels, bottlenecks (1x1, 3x3, + residual add in
    the backbone) on the first, concat, 1x1. Detect: one 1x1 conv (with bias) per level,
    3 anchors x (classes + 5) channels = 255 for COCO's 80 classes. The graph's outputs
    are these three raw maps (255 x size/8, /16, /32 squared); the box decode (sigmoid,
    grid and anchor arithmetic) and NMS are post-processing and left out.

    Names follow Ultralytics' modules: `model.N.conv` / `model.N.act` for a Conv, C3
    parts `model.N.cv1.conv`, `model.N.m.0.cv2.conv`, ..., Detect `model.24.m.{0,1,2}`;
    the ops that are no module are named after their parent (`model.N.cat`,
    `model.N.m.0.add`, `model.9.pool{1,2,3}`).

    Published (Ultralytics YOLOv5 README table, release v6.0; the fused model's summary
    line "YOLOv5n summary: 213 layers, 1867405 parameters, 0 gradients, 4.5 GFLOPs"):
    1.9 M params, 4.5 GFLOPs at 640. Conventions: Ultralytics' params are
    `sum(p.numel())` over the model; fused (BN folded into the conv bias, as here) it is
    1,867,405 - exactly this graph's count; unfused, BN's gamma and beta replace the bias,
    one more per BN channel: 1,872,157 (4,752 BN channels). Its GFLOPs are thop's
    multiply-accumulates x 2, profiled at 32 x 32 and scaled by (640 / 32)^2; thop counts
    conv MACs only (no SiLU, maxpool, nearest upsample).
    Totals at 640: MACs 2,234,060,800 (x 2 = 4.47 GFLOPs, which Ultralytics prints as
    4.5), parameters 1,867,405. At 320: MACs 558,515,200 (a quarter), the same
    parameters.
    """
    if size <= 0 or size % 32:
        raise WorkloadError(f"model yolov5n: input size {size} must be a multiple of 32")
    b = GraphBuilder("yolov5n")
    x = b.input("images", (3, size, size))

    def conv(name: str, x: str, k: int, kernel: int = 1, stride: int = 1, **kw) -> str:
        return conv_act(b, f"{name}.conv", x, k, kernel, stride, act="silu",
                        act_name=f"{name}.act", **kw)  # fmt: skip

    def c3(name: str, x: str, base: int, n: int, shortcut: bool = True) -> str:
        half = WIDTHS[base] // 2
        y = conv(f"{name}.cv1", x, half)
        for i in range(n):
            z = conv(f"{name}.m.{i}.cv1", y, half)
            z = conv(f"{name}.m.{i}.cv2", z, half, 3)
            y = b.elementwise(f"{name}.m.{i}.add", y, z, "add") if shortcut else z
        y = b.concat(f"{name}.cat", [y, conv(f"{name}.cv2", x, half)])
        return conv(f"{name}.cv3", y, WIDTHS[base])

    def upsample(name: str, x: str) -> str:
        _, h, w = b.shape(x)
        return b.resize(name, x, (2 * h, 2 * w), op_type="Resize(nearest)")

    # backbone
    x = conv("model.0", x, WIDTHS[64], 6, 2, padding=2)
    x = conv("model.1", x, WIDTHS[128], 3, 2)
    x = c3("model.2", x, 128, 1)
    x = conv("model.3", x, WIDTHS[256], 3, 2)
    p3 = c3("model.4", x, 256, 2)
    x = conv("model.5", p3, WIDTHS[512], 3, 2)
    p4 = c3("model.6", x, 512, 3)
    x = conv("model.7", p4, WIDTHS[1024], 3, 2)
    x = c3("model.8", x, 1024, 1)
    y = conv("model.9.cv1", x, WIDTHS[1024] // 2)
    pools = [y]
    for i in (1, 2, 3):
        pools.append(b.pool(f"model.9.pool{i}", pools[-1], "maxpool", 5, stride=1, padding=2))
    x = conv("model.9.cv2", b.concat("model.9.cat", pools), WIDTHS[1024])
    # head
    h10 = conv("model.10", x, WIDTHS[512])
    x = b.concat("model.12", [upsample("model.11", h10), p4])
    x = c3("model.13", x, 512, 1, shortcut=False)
    h14 = conv("model.14", x, WIDTHS[256])
    x = b.concat("model.16", [upsample("model.15", h14), p3])
    out3 = c3("model.17", x, 256, 1, shortcut=False)
    x = b.concat("model.19", [conv("model.18", out3, WIDTHS[256], 3, 2), h14])
    out4 = c3("model.20", x, 512, 1, shortcut=False)
    x = b.concat("model.22", [conv("model.21", out4, WIDTHS[512], 3, 2), h10])
    out5 = c3("model.23", x, 1024, 1, shortcut=False)
    outputs = [
        b.conv(f"model.24.m.{i}", level, ANCHORS_PER_LEVEL * (classes + 5), kernel=1)
        for i, level in enumerate((out3, out4, out5))
    ]
    return b.build(outputs)
