"""A linear correction of lookup-table sums, fitted to whole-network measurements.

Per-layer sums miss what happens between layers (additions, concatenations,
memory traffic, framework overhead), so the sum disagrees with the measured
network. The correction is ``cost = w0 * lut_sum + sum_k wk * count_k + b``,
with the space's structural counts (:meth:`spaces.SearchSpace.lut_counts`),
fitted by least squares on relative error (each row divided by its measured
value), which is what MAPE scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Calibration:
    """A fitted correction.

    Attributes:
        features: ``lut_sum`` followed by the count names.
        coefficients: one weight per feature, then the intercept.
        n_fit: number of measured networks it was fitted on.
    """

    features: tuple[str, ...]
    coefficients: tuple[float, ...]
    n_fit: int

    def __post_init__(self) -> None:
        if not self.features or self.features[0] != "lut_sum":
            raise ValueError("calibration: 'features' must start with 'lut_sum'")
        if len(self.coefficients) != len(self.features) + 1:
            raise ValueError(
                f"calibration: needs {len(self.features) + 1} coefficients (one per feature and an intercept), "
                f"got {len(self.coefficients)}"
            )

    def apply(self, lut_sum: float, counts: Mapping[str, float]) -> float:
        """The corrected cost of one network.

        Raises:
            ValueError: when a count the calibration uses is missing.
        """
        values = [lut_sum]
        for name in self.features[1:]:
            if name not in counts:
                raise ValueError(f"calibration uses count {name!r}, which the space does not give")
            values.append(float(counts[name]))
        return float(np.dot(self.coefficients[:-1], values) + self.coefficients[-1])

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "coefficients": list(self.coefficients), "n_fit": self.n_fit}

    @staticmethod
    def from_dict(data: Any) -> "Calibration":
        if not isinstance(data, dict) or not {"features", "coefficients"} <= set(data):
            raise ValueError("calibration: expected a mapping with 'features' and 'coefficients'")
        try:
            return Calibration(
                tuple(str(f) for f in data["features"]),
                tuple(float(c) for c in data["coefficients"]),
                int(data.get("n_fit", 0)),
            )
        except (TypeError, ValueError) as err:
            raise ValueError(f"calibration: {err}") from None


def fit_calibration(
    lut_sums: Sequence[float], counts: Sequence[Mapping[str, float]], measured: Sequence[float]
) -> Calibration:
    """Fits the correction on measured networks.

    Args:
        lut_sums: the raw table sum of each network (length ``n``).
        counts: the structural counts of each network (same names in each).
        measured: the measured cost of each network (same unit as the table).

    Returns:
        The fitted :class:`Calibration`. Counts that are constant over the
        sample are left out (they would only duplicate the intercept).
    """
    n = len(measured)
    if n < 3 or len(lut_sums) != n or len(counts) != n:
        raise ValueError(f"calibration needs at least 3 networks with a sum, counts and a measurement each, got {n}")
    y = np.asarray(measured, dtype=np.float64)
    if np.any(y <= 0):
        raise ValueError("calibration: measured costs must be positive")
    names = [k for k in sorted(counts[0]) if len({float(c[k]) for c in counts}) > 1]
    x = np.column_stack(
        [np.asarray(lut_sums, dtype=np.float64)] + [[float(c[k]) for c in counts] for k in names] + [np.ones(n)]
    )
    coef, *_ = np.linalg.lstsq(x / y[:, None], np.ones(n), rcond=None)
    return Calibration(("lut_sum", *names), tuple(float(c) for c in coef), n)
