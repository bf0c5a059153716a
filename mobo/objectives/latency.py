"""Latency measured on this host: eval mode, no grad, median of repeats (ms),
with PyTorch or with onnxruntime on the exported ONNX model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import torch

from mobo.objectives.base import BuildContext, Evaluator, ObjectiveSource, register
from spaces.base import NetworkBuilder, require
from spaces import Arch, SearchSpace
from spaces.onnx import onnx_session, to_onnx
from spaces.profile import median_ms, time_module


class MeasuredLatency:
    """Evaluator: builds the network of an architecture and times it (ms, lower is better)."""

    def __init__(self, space: SearchSpace, options: MeasuredLatencySource) -> None:
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


@register
@dataclass(frozen=True)
class MeasuredLatencySource(ObjectiveSource):
    """``source: measured_latency``: time the built network on this host (ms).

    Attributes:
        batch_size: images per forward pass.
        image_size: input height/width (px); default: the space's network option.
        threads: torch intra-op threads while timing.
        warmup: untimed forward passes first.
        repeats: timed forward passes; the median is reported.
        runtime: ``torch`` (eager PyTorch) or ``onnxruntime`` (the exported
            ONNX model on onnxruntime's CPU provider; needs the ``onnx`` extra).
    """

    batch_size: int = 1
    image_size: int | None = None
    threads: int = 1
    warmup: int = 3
    repeats: int = 15
    runtime: Literal["torch", "onnxruntime"] = "torch"
    name: ClassVar[str] = "measured_latency"

    def __post_init__(self) -> None:
        for key in ("batch_size", "threads", "repeats"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key} must be at least 1, got {getattr(self, key)}")
        if self.warmup < 0:
            raise ValueError(f"warmup must be at least 0, got {self.warmup}")

    def unit(self) -> str:
        return "ms"

    def build(self, context: BuildContext) -> Evaluator:
        require(context.space, NetworkBuilder, f"source '{self.name}'")
        return MeasuredLatency(context.space, self)
