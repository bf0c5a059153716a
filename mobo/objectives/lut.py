"""Cost predicted by a lookup table (latency in ms, energy in mJ): the sum of the
network's entries, calibrated when the table carries a calibration."""

from __future__ import annotations

import random

from mobo.objectives.options import LUTOptions
from spaces import Arch, SearchSpace
from spaces.lut import LookupTable


class LUTPrediction:
    """Evaluator: ``table.predict(space.lut_keys(arch), space.lut_counts(arch))``.

    Raises (at construction) ``ValueError`` when the file is malformed or the
    space has no lookup-table cost model; (per call) when the table lacks one
    of the architecture's entries, naming it.
    """

    def __init__(self, space: SearchSpace, options: LUTOptions) -> None:
        self.space = space
        self.table = LookupTable.load(options.path)
        self.calibrated = options.calibrated
        try:
            # a table built for other network options lacks the keys: say so now, not per evaluation
            self.table.total(space.lut_keys(space.sample(random.Random(0))))
        except NotImplementedError as err:
            raise ValueError(str(err)) from None

    def __call__(self, arch: Arch) -> float:
        return self.table.predict(self.space.lut_keys(arch), self.space.lut_counts(arch), self.calibrated)
