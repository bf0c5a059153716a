"""Executors: where a search's evaluations run.

An executor takes :class:`Job` s, runs up to ``workers`` at once, and hands back
:class:`Outcome` s as they finish (:class:`Executor`). :class:`LocalExecutor` runs one at a
time on this machine; :class:`~mobo.execution.ray_workers.RayExecutor` (``pip install -e
".[ray]"``) runs them on Ray workers, on this machine or a cluster. The search proposes for
every free worker with the jobs in flight pending, so no worker waits for a whole batch.
"""

from __future__ import annotations

from collections.abc import Mapping

from mobo.config import Config
from mobo.execution.base import Executor, Job, Outcome
from mobo.execution.local import LocalExecutor
from mobo.objectives import Evaluator
from spaces import SearchSpace


def build_executor(config: Config, space: SearchSpace, evaluators: Mapping[str, Evaluator],
                   given: Mapping[str, Evaluator], run: str) -> Executor:
    """The executor ``config.execution`` asks for.

    Args:
        config: the search's configuration.
        space: the search space.
        evaluators: every objective's evaluator (the local backend runs them).
        given: the evaluators passed from Python (Ray workers build the others from the config).
        run: a name for the run, unique per process.

    Raises:
        ValueError: naming the ``execution`` key when Ray is missing or cannot run the jobs.
    """
    e = config.execution
    if e.backend == "local":
        return LocalExecutor(evaluators, space, e.timeout_s)
    try:
        from mobo.execution.ray_workers import RayExecutor
    except ImportError as err:
        raise ValueError(f"execution.backend: ray needs Ray (pip install -e \".[ray]\"): {err}") from None
    return RayExecutor(config, space, given, run)


__all__ = ["Executor", "Job", "LocalExecutor", "Outcome", "build_executor"]
