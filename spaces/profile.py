"""The cost of built networks: parameter and FLOP counts, and wall time on this host."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Sets torch's intra-op thread count inside the block, restoring it after."""
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def median_ms(run: Callable[[], object], warmup: int, repeats: int) -> float:
    """Median wall time of ``run()`` in ms over ``repeats`` calls, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def time_module(
    model: nn.Module, inputs: torch.Tensor, warmup: int, repeats: int, threads: int | None
) -> float:
    """Median wall time of ``model(inputs)`` in ms (eval mode, inference mode, ``threads`` threads)."""
    model.eval()
    with torch_threads(threads), torch.inference_mode():
        return median_ms(lambda: model(inputs), warmup, repeats)
