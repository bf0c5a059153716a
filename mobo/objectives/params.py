"""``source: params``: parameters of the space's network, in millions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mobo.objectives.base import BuildContext, Evaluator, ObjectiveSource, register
from spaces.base import NetworkBuilder, require


@register
@dataclass(frozen=True)
class ParamsSource(ObjectiveSource):
    """``source: params``: trainable parameters of the built network (millions); no settings."""

    name: ClassVar[str] = "params"

    def unit(self) -> str:
        return "M"

    def build(self, context: BuildContext) -> Evaluator:
        require(context.space, NetworkBuilder, f"source '{self.name}'")
        space = context.space
        return lambda arch: space.params(arch) / 1e6
