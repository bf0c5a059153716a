"""Latency predicted by a few-shot latency predictor adapted to the target device (ms)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mobo.latency_predictor.model import LatencyPredictor  # not the package: its fit module imports this package
from mobo.objectives.base import BuildContext, Evaluator, ObjectiveSource, register
from spaces import Arch, SearchSpace


def load_adapted(path: str, space: SearchSpace) -> LatencyPredictor:
    """The adapted predictor at ``path``, checked against ``space``.

    Raises:
        ValueError: when the file is not a predictor, is not adapted to a device, or was
            fitted for another space.
    """
    predictor = LatencyPredictor.load(path)
    if not predictor.adapted:
        raise ValueError(f"latency predictor {path!r} is not adapted to a device: run "
                         f"'python -m mobo.latency_predictor adapt {path} --measurements M.csv --out ADAPTED' "
                         f"and give ADAPTED")
    predictor.check_space(space)
    return predictor


class PredictedLatency:
    """Evaluator: the adapted predictor's latency (ms) of the architecture."""

    def __init__(self, space: SearchSpace, path: str) -> None:
        self.space = space
        self.predictor = load_adapted(path, space)

    def __call__(self, arch: Arch) -> float:
        return float(self.predictor.predict(self.space, [arch])[0])


@register
@dataclass(frozen=True)
class LatencyPredictorSource(ObjectiveSource):
    """``source: latency_predictor``: a cheap latency estimate (ms) from a predictor adapted to
    the target device (``python -m mobo.latency_predictor adapt``).

    Attributes:
        model: the adapted predictor file.
    """

    model: str
    name: ClassVar[str] = "latency_predictor"
    error_key: ClassVar[str] = "model"

    def unit(self) -> str:
        return "ms"

    def build(self, context: BuildContext) -> Evaluator:
        return PredictedLatency(context.space, self.model)
