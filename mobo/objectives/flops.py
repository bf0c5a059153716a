"""``source: flops``: FLOPs of one forward pass of the space's network, in millions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mobo.objectives.base import BuildContext, Evaluator, ObjectiveSource, register
from spaces.base import NetworkBuilder, require


@register
@dataclass(frozen=True)
class FlopsSource(ObjectiveSource):
    """``source: flops``: FLOPs of the built network at batch 1 (millions; a multiply-add is 2); no settings."""

    name: ClassVar[str] = "flops"

    def unit(self) -> str:
        return "MFLOPs"

    def build(self, context: BuildContext) -> Evaluator:
        require(context.space, NetworkBuilder, f"source '{self.name}'")
        space = context.space
        return lambda arch: space.flops(arch) / 1e6
