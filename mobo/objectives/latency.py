"""Latency measured on this host: eval mode, no grad, median of repeats (ms),
with PyTorch or with onnxruntime on the exported ONNX model."""

from __future__ import annotations

import torch

from mobo.objectives.options import MeasuredLatencyOptions
from spaces import Arch, SearchSpace
from spaces.onnx import onnx_session, to_onnx
from spaces.profile import median_ms, time_module


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
        if o.runtime == "torch":
            return time_module(model, inputs, o.warmup, o.repeats, o.threads)
        session = onnx_session(to_onnx(model, tuple(inputs.shape)), o.threads)
        feed = {"images": inputs.numpy()}
        return median_ms(lambda: session.run(None, feed), o.warmup, o.repeats)
