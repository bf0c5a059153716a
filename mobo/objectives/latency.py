"""Latency measured on this host: PyTorch, eval mode, no grad, median of repeats (ms)."""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from collections.abc import Iterator

import torch

from mobo.objectives.options import MeasuredLatencyOptions
from spaces import Arch, SearchSpace


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


def time_module(
    model: torch.nn.Module, inputs: torch.Tensor, warmup: int, repeats: int, threads: int | None
) -> float:
    """Median wall time of ``model(inputs)`` in ms, after ``warmup`` untimed calls."""
    model.eval()
    with torch_threads(threads), torch.inference_mode():
        for _ in range(warmup):
            model(inputs)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(inputs)
            times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


class MeasuredLatency:
    """Evaluator: builds the network of an architecture and times it (ms, lower is better)."""

    def __init__(self, space: SearchSpace, options: MeasuredLatencyOptions) -> None:
        self.space = space
        self.options = options

    def __call__(self, arch: Arch) -> float:
        o = self.options
        overrides = {} if o.image_size is None else {"image_size": o.image_size}
        model = self.space.build(arch, **overrides)
        inputs = torch.randn(o.batch_size, *self.space.input_shape(**overrides))
        return time_module(model, inputs, o.warmup, o.repeats, o.threads)
