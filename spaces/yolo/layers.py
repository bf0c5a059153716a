"""The layer lists of YOLOv7 and YOLOv7-tiny with ELAN blocks of variable depth.

A network is a list of :class:`Layer` in topological order, as in a YOLOv7
model YAML (``[from, number, module, args]``), with absolute source indices
(``-1`` is the input image). Both bases follow the public YOLOv7 model
definitions (``cfg/deploy/yolov7.yaml``, ``yolov7-tiny.yaml``); RepConv
before the detection head is written in its deployed form (one 3x3 conv) and
the detection head is a plain ``Detect`` (1x1 conv per scale, no implicit
layers), since both compute the same function after re-parameterization.

ELAN block of depth ``d`` (input ``x``; ``a``, ``b`` = two 1x1 convs of ``x``;
a chain of 3x3 convs grows from ``b``; the taps are concatenated, last tap
first, then a 1x1 transition):

* YOLOv7 backbone: chain of ``2(d-1)`` convs, every second one tapped:
  concat ``[c_{2(d-1)}, ..., c_4, c_2, b, a]`` (``d + 1`` tensors). Depth 3 is
  the original block (``[-1, -3, -5, -6]``). Taking every second conv keeps
  each tap two convs deeper than the last, as the original does.
* YOLOv7 head (neck): chain of ``d - 1`` half-width convs, all tapped: concat
  ``[c_{d-1}, ..., c_1, b, a]`` (``d + 1`` tensors). Depth 5 is the original
  block (``[-1, -2, -3, -4, -5, -6]``).
* YOLOv7-tiny (backbone and neck): chain of ``d - 1`` convs, all tapped.
  Depth 3 is the original block (``[-1, -2, -3, -4]``).

Width follows depth: the concatenation has ``d + 1`` tensors, so the
transition's input channels (and its parameters and FLOPs) grow with ``d``;
its output channels are the original ones, so the rest of the network keeps
its shape. This is how TANGO's YOLOv7 supernet scales its ELAN blocks
(backbone depths 1-3 and neck depths 1-5 by default; the maxima rebuild
YOLOv7 exactly).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BASES: tuple[str, ...] = ("yolov7", "yolov7-tiny")
ANCHORS: dict[str, tuple[tuple[int, ...], ...]] = {
    "yolov7": ((12, 16, 19, 36, 40, 28), (36, 75, 76, 55, 72, 146), (142, 110, 192, 243, 459, 401)),
    "yolov7-tiny": ((10, 13, 16, 30, 33, 23), (30, 61, 62, 45, 59, 119), (116, 90, 156, 198, 373, 326)),
}
NUM_ANCHORS = 3
BACKBONE_BLOCKS = 4
HEAD_BLOCKS = 4
# The depth ranges of TANGO's latency table (backbone 1-5, neck 1-7).
MAX_BACKBONE_DEPTH = 5
MAX_HEAD_DEPTH = 7


@dataclass(frozen=True)
class Layer:
    """One layer of a YOLO network.

    Attributes:
        sources: absolute indices of the input layers (``-1`` = the image).
        module: ``Conv``, ``MP`` (2x2 max pool, stride 2), ``SP`` (max pool,
            stride 1), ``Concat``, ``Upsample`` (nearest, x2), ``SPPCSPC`` or ``Detect``.
        args: ``Conv``: ``(c_out, kernel, stride)``; ``SP``: ``(kernel,)``;
            ``SPPCSPC``: ``(c_out,)``; ``Detect``: ``(num_classes,)``; else ``()``.
    """

    sources: tuple[int, ...]
    module: str
    args: tuple[int, ...] = ()


@dataclass
class LayerList:
    """A layer list under construction, with where each ELAN block lies."""

    layers: list[Layer] = field(default_factory=list)
    blocks: list[tuple[int, int]] = field(default_factory=list)  # [start, end) of each ELAN block
    backbone_end: int = 0  # layers before this index are the backbone

    def add(self, module: str, sources: int | tuple[int, ...], *args: int) -> int:
        sources = (sources,) if isinstance(sources, int) else tuple(sources)
        self.layers.append(Layer(sources, module, tuple(args)))
        return len(self.layers) - 1

    def conv(self, source: int, c_out: int, kernel: int, stride: int = 1) -> int:
        return self.add("Conv", source, c_out, kernel, stride)

    def elan(self, x: int, width: int, chain_width: int, out: int, chain: int, every: int) -> int:
        """An ELAN block: ``chain`` 3x3 convs, every ``every``-th one tapped."""
        start = len(self.layers)
        a = self.conv(x, width, 1)
        b = self.conv(x, width, 1)
        h, taps = b, []
        for i in range(chain):
            h = self.conv(h, chain_width, 3)
            if (i + 1) % every == 0:
                taps.append(h)
        cat = self.add("Concat", (*reversed(taps), b, a))
        y = self.conv(cat, out, 1)
        self.blocks.append((start, len(self.layers)))
        return y


def elan_chain(base: str, block: int, depth: int) -> tuple[int, int]:
    """``(chain length, tap interval)`` of ELAN block ``block`` (0-7) at ``depth``."""
    if base == "yolov7" and block < BACKBONE_BLOCKS:
        return 2 * (depth - 1), 2
    return depth - 1, 1


def yolov7_layers(depths: tuple[int, ...], num_classes: int) -> LayerList:
    net = LayerList()

    def elan(x: int, width: int, chain_width: int, out: int) -> int:
        k = len(net.blocks)
        chain, every = elan_chain("yolov7", k, depths[k])
        return net.elan(x, width, chain_width, out, chain, every)

    def down(x: int, width: int, skip: int | None = None) -> int:
        pooled = net.conv(net.add("MP", x), width, 1)
        strided = net.conv(net.conv(x, width, 1), width, 3, 2)
        return net.add("Concat", (strided, pooled) if skip is None else (strided, pooled, skip))

    x = net.conv(-1, 32, 3)
    x = net.conv(x, 64, 3, 2)
    x = net.conv(x, 64, 3)
    x = net.conv(x, 128, 3, 2)
    x = elan(x, 64, 64, 256)
    p3 = x = elan(down(x, 128), 128, 128, 512)
    p4 = x = elan(down(x, 256), 256, 256, 1024)
    x = elan(down(x, 512), 256, 256, 1024)
    net.backbone_end = len(net.layers)
    spp = net.add("SPPCSPC", x, 512)
    x = net.add("Upsample", net.conv(spp, 256, 1))
    x = net.add("Concat", (net.conv(p4, 256, 1), x))
    h1 = elan(x, 256, 128, 256)
    x = net.add("Upsample", net.conv(h1, 128, 1))
    x = net.add("Concat", (net.conv(p3, 128, 1), x))
    h2 = elan(x, 128, 64, 128)
    h3 = elan(down(h2, 128, h1), 256, 128, 256)
    h4 = elan(down(h3, 256, spp), 512, 256, 512)
    outs = (net.conv(h2, 256, 3), net.conv(h3, 512, 3), net.conv(h4, 1024, 3))
    net.add("Detect", outs, num_classes)
    return net


def yolov7_tiny_layers(depths: tuple[int, ...], num_classes: int) -> LayerList:
    net = LayerList()

    def elan(x: int, width: int, out: int) -> int:
        k = len(net.blocks)
        chain, every = elan_chain("yolov7-tiny", k, depths[k])
        return net.elan(x, width, width, out, chain, every)

    x = net.conv(-1, 32, 3, 2)
    x = net.conv(x, 64, 3, 2)
    x = elan(x, 32, 64)
    p3 = x = elan(net.add("MP", x), 64, 128)
    p4 = x = elan(net.add("MP", x), 128, 256)
    x = elan(net.add("MP", x), 256, 512)
    net.backbone_end = len(net.layers)
    # the tiny model's SPP-CSP block, layer by layer as in yolov7-tiny.yaml
    csp = net.conv(x, 256, 1)
    y = net.conv(x, 256, 1)
    pools = [net.add("SP", y, k) for k in (5, 9, 13)]
    y = net.conv(net.add("Concat", (*reversed(pools), y)), 256, 1)
    spp = net.conv(net.add("Concat", (y, csp)), 256, 1)
    x = net.add("Upsample", net.conv(spp, 128, 1))
    h1 = elan(net.add("Concat", (net.conv(p4, 128, 1), x)), 64, 128)
    x = net.add("Upsample", net.conv(h1, 64, 1))
    h2 = elan(net.add("Concat", (net.conv(p3, 64, 1), x)), 32, 64)
    h3 = elan(net.add("Concat", (net.conv(h2, 128, 3, 2), h1)), 64, 128)
    h4 = elan(net.add("Concat", (net.conv(h3, 256, 3, 2), spp)), 128, 256)
    outs = (net.conv(h2, 128, 3), net.conv(h3, 256, 3), net.conv(h4, 512, 3))
    net.add("Detect", outs, num_classes)
    return net


def yolo_layers(base: str, depths: tuple[int, ...], num_classes: int) -> LayerList:
    """The layer list of ``base`` with ELAN depths ``depths`` (4 backbone, then 4 neck)."""
    if base == "yolov7":
        return yolov7_layers(depths, num_classes)
    if base == "yolov7-tiny":
        return yolov7_tiny_layers(depths, num_classes)
    raise ValueError(f"unknown YOLO base model {base!r}; known: {', '.join(BASES)}")


def describe_layer(layer: Layer) -> dict[str, Any]:
    return {"from": list(layer.sources), "module": layer.module, "args": list(layer.args)}
