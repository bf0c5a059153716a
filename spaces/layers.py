"""Building blocks shared by the cell-space networks (NAS-Bench-201, NASNet/ENAS conventions)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv2d (no bias) -> BatchNorm, the conv op of NAS-Bench-201 cells."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Zero(nn.Module):
    """The ``none`` op: outputs zeros of the input's shape."""

    def forward(self, x: Tensor) -> Tensor:
        return x.mul(0.0)


class ResidualReduction(nn.Module):
    """The residual reduction block between NB201 stages (stride 2, ``c_in -> c_out``).

    Two ReLU-Conv3x3-BN layers (the first with stride 2) plus a shortcut of
    2x2 average pooling and a 1x1 convolution, as in NAS-Bench-201.
    """

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, stride=1)
        self.shortcut = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, bias=False),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class SepConv(nn.Sequential):
    """The separable convolution of NASNet/ENAS/DARTS cells: (ReLU, depthwise ``k x k``,
    pointwise 1x1, BN) twice; only the first depthwise conv has ``stride``."""

    def __init__(self, channels: int, kernel: int, stride: int = 1) -> None:
        layers: list[nn.Module] = []
        for s in (stride, 1):
            layers += [
                nn.ReLU(inplace=False),
                nn.Conv2d(channels, channels, kernel, stride=s, padding=kernel // 2, groups=channels, bias=False),
                nn.Conv2d(channels, channels, 1, bias=False),
                nn.BatchNorm2d(channels),
            ]
        super().__init__(*layers)


class FactorizedReduce(nn.Module):
    """Halves height and width with two offset stride-2 1x1 convs (``c_in -> c_out``, even ``c_out``)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even number of output channels, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_a = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_b = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(x)
        # the second conv reads the odd pixels, so together they see every pixel
        return self.bn(torch.cat([self.conv_a(x), self.conv_b(x[:, :, 1:, 1:])], dim=1))
