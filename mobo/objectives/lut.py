"""Cost predicted by a lookup table (latency in ms, energy in mJ): the sum of the
network's entries, calibrated when the table carries a calibration."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from mobo.objectives.base import BuildContext, Evaluator, ObjectiveSource, register
from spaces import Arch, SearchSpace
from spaces.base import CostTableKeys, require
from spaces.lut import LookupTable


class LUTPrediction:
    """Evaluator: ``table.predict(space.lut_keys(arch), space.lut_counts(arch))``.

    Raises (at construction) ``ValueError`` when the file is malformed or the
    space has no lookup-table cost model; (per call) when the table lacks one
    of the architecture's entries, naming it.
    """

    def __init__(self, space: SearchSpace, options: LUTSource) -> None:
        require(space, CostTableKeys, "a lookup-table objective")
        self.space = space
        self.table = LookupTable.load(options.path)
        self.calibrated = options.calibrated
        # a table built for other network options lacks the keys: say so now, not per evaluation
        self.table.total(space.lut_keys(space.sample(random.Random(0))))

    def __call__(self, arch: Arch) -> float:
        return self.table.predict(self.space.lut_keys(arch), self.space.lut_counts(arch), self.calibrated)


@register
@dataclass(frozen=True)
class LUTSource(ObjectiveSource):
    """``source: lut``: a lookup-table prediction (see ``spaces.lut``), in the table's unit.

    Attributes:
        path: the table file (per-layer entries built by ``python -m
            spaces.lut build``, a user's energy table in the same format, or
            TANGO's YOLOv7 block table).
        calibrated: apply the table's calibration when it has one.
    """

    path: str
    calibrated: bool = True
    name: ClassVar[str] = "lut"
    error_key: ClassVar[str] = "path"

    def unit(self) -> str:
        try:
            return LookupTable.load(self.path).unit
        except ValueError:  # a plot does not fail for a table that moved since the run
            return ""

    def build(self, context: BuildContext) -> Evaluator:
        return LUTPrediction(context.space, self)
