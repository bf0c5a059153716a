"""Parameter and FLOP counts of built networks."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_params(model: nn.Module) -> int:
    """Returns the number of trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_flops(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Returns the FLOPs of one forward pass (a multiply-add counts as 2).

    Counted by PyTorch's ``FlopCounterMode`` (convolutions and matrix products;
    element-wise ops, pooling and normalization are not counted, as usual).

    Args:
        model: the network.
        input_shape: the input tensor shape, batch included (e.g. ``1 x 3 x 32 x 32``).
    """
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.zeros(input_shape))
    model.train(was_training)
    return int(counter.get_total_flops())
