"""Building blocks shared by the cell-space networks (NAS-Bench-201 conventions)."""

from __future__ import annotations

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
