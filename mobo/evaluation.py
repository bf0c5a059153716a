"""Evaluating one architecture: every objective's evaluator, failures recorded rather than raised."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping

from mobo.config import Config
from mobo.history import Evaluation
from mobo.objectives import Evaluator
from mobo.results import is_feasible
from mobo.reward import reward
from spaces import Arch, SearchSpace

log = logging.getLogger("latentnas")


def evaluate(arch: Arch, evaluators: Mapping[str, Evaluator], config: Config, space: SearchSpace, index: int,
             iteration: int) -> Evaluation:
    """Runs every evaluator on ``arch`` in objective order; the first that raises or returns a
    non-finite value marks the evaluation failed (the search goes on).

    Args:
        arch: the architecture.
        evaluators: objective name -> ``arch -> float``.
        config: the search's configuration (objectives, constraints, reward mode).
        space: the search space.
        index: the evaluation's position in the history.
        iteration: 0 for the initial design, then the BO step.

    Returns:
        The evaluation, with the reward in reward mode.
    """
    start = time.perf_counter()
    values = {o.name: math.nan for o in config.objectives}
    error = ""
    for o in config.objectives:
        try:
            value = float(evaluators[o.name](arch))
            if not math.isfinite(value):
                raise ValueError(f"returned {value}")
            values[o.name] = value
        except Exception as err:  # noqa: BLE001 - any evaluator failure is recorded, not fatal
            error = f"{o.name}: {type(err).__name__}: {err}"
            log.warning("evaluation of %s failed: %s", space.format(arch), error)
            break
    failed = bool(error)
    return Evaluation(
        index=index, iteration=iteration, arch=space.format(arch), key=space.canonical_key(arch), values=values,
        feasible=not failed and is_feasible(values, config.objectives), failed=failed, error=error,
        seconds=time.perf_counter() - start,
        extra={"reward": reward(values, config)} if config.search.mode == "reward" else {},
    )
