"""The PyTorch modules of a YOLO layer list, and the network that runs one."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from spaces.yolo.layers import NUM_ANCHORS, Layer


class Conv(nn.Sequential):
    """Conv2d (no bias, 'same' padding) -> BatchNorm -> activation, as YOLOv7's ``Conv``."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, act: type[nn.Module]) -> None:
        activation = nn.LeakyReLU(0.1) if act is nn.LeakyReLU else act()
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
            nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.03),
            activation,
        )


class Concat(nn.Module):
    """Concatenates its inputs along channels."""

    def forward(self, xs: list[Tensor]) -> Tensor:
        return torch.cat(xs, dim=1)


class SPPCSPC(nn.Module):
    """YOLOv7's spatial pyramid pooling, cross-stage partial block (``c_in -> c_out``)."""

    def __init__(self, c_in: int, c_out: int, act: type[nn.Module]) -> None:
        super().__init__()
        c = c_out  # hidden width 2 * c_out * 0.5, as in YOLOv7
        self.cv1 = Conv(c_in, c, 1, 1, act)
        self.cv2 = Conv(c_in, c, 1, 1, act)
        self.cv3 = Conv(c, c, 3, 1, act)
        self.cv4 = Conv(c, c, 1, 1, act)
        self.pools = nn.ModuleList(nn.MaxPool2d(k, 1, k // 2) for k in (5, 9, 13))
        self.cv5 = Conv(4 * c, c, 1, 1, act)
        self.cv6 = Conv(c, c, 3, 1, act)
        self.cv7 = Conv(2 * c, c_out, 1, 1, act)

    def forward(self, x: Tensor) -> Tensor:
        x1 = self.cv4(self.cv3(self.cv1(x)))
        y1 = self.cv6(self.cv5(torch.cat([x1, *(p(x1) for p in self.pools)], dim=1)))
        return self.cv7(torch.cat([y1, self.cv2(x)], dim=1))


class Detect(nn.Module):
    """Detection head: a 1x1 conv per scale to ``na * (nc + 5)`` channels
    (box x, y, w, h, objectness, class scores for each of ``na`` anchors)."""

    def __init__(self, channels: Sequence[int], num_classes: int) -> None:
        super().__init__()
        self.outputs_per_anchor = num_classes + 5
        self.heads = nn.ModuleList(nn.Conv2d(c, NUM_ANCHORS * self.outputs_per_anchor, 1) for c in channels)

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        return [head(x) for head, x in zip(self.heads, xs)]


def make_module(layer: Layer, c_in: list[int], act: type[nn.Module]) -> tuple[nn.Module, int]:
    """The module of ``layer`` given its inputs' channels; returns it and its output channels."""
    m, args = layer.module, layer.args
    if m == "Conv":
        return Conv(c_in[0], args[0], args[1], args[2], act), args[0]
    if m == "MP":
        return nn.MaxPool2d(2, 2), c_in[0]
    if m == "SP":
        return nn.MaxPool2d(args[0], 1, args[0] // 2), c_in[0]
    if m == "Concat":
        return Concat(), sum(c_in)
    if m == "Upsample":
        return nn.Upsample(scale_factor=2, mode="nearest"), c_in[0]
    if m == "SPPCSPC":
        return SPPCSPC(c_in[0], args[0], act), args[0]
    if m == "Detect":
        return Detect(c_in, args[0]), NUM_ANCHORS * (args[0] + 5)
    raise ValueError(f"unknown YOLO module {m!r}")


class YoloNet(nn.Module):
    """Runs a YOLO layer list.

    Input ``batch x C x H x W`` (``H``, ``W`` divisible by 32); output a list of
    three ``batch x na*(nc+5) x H/s x W/s`` maps for strides ``s`` = 8, 16, 32.
    """

    def __init__(self, layers: Sequence[Layer], input_channels: int, act: type[nn.Module]) -> None:
        super().__init__()
        channels: list[int] = []
        modules = []
        for layer in layers:
            module, c_out = make_module(
                layer, [input_channels if s < 0 else channels[s] for s in layer.sources], act
            )
            modules.append(module)
            channels.append(c_out)
        self.layers = nn.ModuleList(modules)
        self.sources = [layer.sources for layer in layers]
        self.multi = [layer.module in ("Concat", "Detect") for layer in layers]
        needed = {s for layer in layers for s in layer.sources}
        self.keep = [i in needed for i in range(len(layers))]

    def forward(self, x: Tensor) -> list[Tensor]:
        outputs: list[Tensor | None] = []
        y: Tensor | list[Tensor] = x
        for module, sources, multi, keep in zip(self.layers, self.sources, self.multi, self.keep):
            inputs = [x if s < 0 else outputs[s] for s in sources]
            y = module(inputs) if multi else module(inputs[0])
            outputs.append(y if keep else None)  # drop what no later layer reads
        assert isinstance(y, list)
        return y
