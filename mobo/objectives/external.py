"""An objective without a source: a Python user passes its evaluator (``mobo.run(..., evaluators=...)``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mobo.objectives.base import BuildContext, Evaluator, ObjectiveSource, register


@register
@dataclass(frozen=True)
class ExternalSource(ObjectiveSource):
    """``source: external`` (also an objective that names no source): the values come from a
    function the caller passes; no settings."""

    name: ClassVar[str] = "external"

    def build(self, context: BuildContext) -> Evaluator:
        raise ValueError("no source: pass its evaluator (mobo.run(config, evaluators={...})) or set a source")
