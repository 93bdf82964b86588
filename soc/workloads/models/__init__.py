"""Model zoo as full operator graphs: every op, with shapes, and published MAC and
parameter totals in each builder's docstring (checked by the unit tests).

Conventions: MACs count conv and fc multiply-accumulates only (not batch norm,
activations, pooling, element-wise ops); parameters are conv / fc weights plus one bias
per output channel, batch norm folded into the conv before it, as deployed.
"""

from __future__ import annotations

from collections.abc import Callable

from soc.workloads.graph import Graph
from soc.workloads.models.kws import ds_cnn
from soc.workloads.models.mobilenet import mobilenetv2, mobilenetv3_small
from soc.workloads.models.resnet import resnet50
from soc.workloads.models.yolo import yolov5n

GRAPHS: dict[str, Callable[[], Graph]] = {
    "resnet50": resnet50,
    "resnet50_v1": lambda: resnet50(v1=True),
    "mobilenetv2": mobilenetv2,
    "mobilenetv3_small": mobilenetv3_small,
    "yolov5n": yolov5n,
    "ds_cnn": ds_cnn,
}

__all__ = ["GRAPHS", "ds_cnn", "mobilenetv2", "mobilenetv3_small", "resnet50", "yolov5n"]
