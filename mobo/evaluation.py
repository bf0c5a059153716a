"""Evaluating one architecture: every objective's evaluator, failures recorded rather than raised."""

from __future__ import annotations

import math
from collections.abc import Mapping

from mobo.config import Config
from mobo.context import Interrupted
from mobo.history import Evaluation
from mobo.objectives import Evaluator
from mobo.results import is_feasible
from mobo.reward import reward
from spaces import Arch, SearchSpace


def run_evaluators(arch: Arch, evaluators: Mapping[str, Evaluator]) -> tuple[dict[str, float], str]:
    """Runs the evaluators on ``arch`` in their order; the first that raises (``sys.exit``
    included) or returns a non-finite value ends the evaluation as failed. Ctrl-C and SIGTERM
    (:class:`mobo.context.Interrupted`) stop the run instead.

    Args:
        arch: the architecture.
        evaluators: objective name -> ``arch -> float``.

    Returns:
        The values obtained (objective name -> value) and the error (``"name: Type: message"``;
        ``""`` when every evaluator returned a number).
    """
    values: dict[str, float] = {}
    for name, evaluator in evaluators.items():
        try:
            value = float(evaluator(arch))
            if not math.isfinite(value):
                raise ValueError(f"returned {value}")
            values[name] = value
        except (Interrupted, KeyboardInterrupt):
            raise  # the user stops the run
        except BaseException as err:  # noqa: BLE001 - any evaluator failure (sys.exit too) is recorded, not fatal
            return values, f"{name}: {type(err).__name__}: {err}"
    return values, ""


def evaluation_of(arch: Arch, values: Mapping[str, float], error: str, config: Config, space: SearchSpace,
                  index: int, iteration: int, seconds: float, started: float = math.nan,
                  worker: str = "") -> Evaluation:
    """The history row of ``arch`` with its objective ``values`` (``NaN`` where missing) or an
    ``error``: feasibility from the constraints, and the reward in reward mode.

    Args:
        seconds: the evaluation's wall time (s).
        started: when it started (s since the epoch; ``NaN``: unknown).
        worker: where it ran.
    """
    values = {o.name: float(values.get(o.name, math.nan)) for o in config.objectives}
    return Evaluation(
        index=index, iteration=iteration, arch=space.format(arch), key=space.canonical_key(arch), values=values,
        feasible=not error and is_feasible(values, config.objectives), failed=bool(error), error=error,
        seconds=seconds, extra={"reward": reward(values, config)} if config.search.mode == "reward" else {},
        started=started, ended=started + seconds, worker=worker,
    )
