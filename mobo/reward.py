"""The ELP-NAS / MnasNet scalar reward ``ACC * prod_i (v_i / T_i)^w``."""

from __future__ import annotations

import math
from collections.abc import Mapping

from mobo.config import Config


def reward(values: Mapping[str, float], config: Config) -> float:
    """The reward of one evaluation (maximized).

    ``ACC`` is the accuracy objective's value; the product runs over every
    other objective with a target ``at_most`` (e.g. latency ``T`` in ms,
    energy ``E`` in mJ). ``w = alpha`` when all targets are met, else ``beta``
    (``search.reward``: hard alpha=0, beta=-1; soft alpha=beta=-0.07).

    Returns:
        The reward, or ``NaN`` when a needed value is missing or not positive.
    """
    acc = config.accuracy_objective
    assert acc is not None
    alpha, beta = config.search.reward.exponents
    targeted = [o for o in config.objectives if o is not acc and o.at_most is not None]
    ratios = [values[o.name] / o.at_most for o in targeted]
    if any(math.isnan(r) or r <= 0 for r in ratios) or math.isnan(values[acc.name]):
        return math.nan
    w = alpha if all(r <= 1.0 for r in ratios) else beta
    return values[acc.name] * math.prod(r**w for r in ratios)
