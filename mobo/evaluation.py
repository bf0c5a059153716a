"""Evaluating one architecture: every objective's evaluator, failures recorded rather than raised."""

from __future__ import annotations

import logging
import math
import multiprocessing
import signal
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection

from mobo.config import Config
from mobo.context import Interrupted
from mobo.history import Evaluation
from mobo.objectives import Evaluator
from mobo.results import is_feasible
from mobo.reward import reward
from spaces import Arch, SearchSpace

log = logging.getLogger("latentnas")


def evaluate(arch: Arch, evaluators: Mapping[str, Evaluator], config: Config, space: SearchSpace, index: int,
             iteration: int, timeout_s: float | None = None) -> Evaluation:
    """Runs every evaluator on ``arch`` in objective order; the first that raises (``sys.exit``
    included) or returns a non-finite value marks the evaluation failed (the search goes on).
    Ctrl-C and SIGTERM (:class:`mobo.context.Interrupted`) stop the run instead.

    Args:
        arch: the architecture.
        evaluators: objective name -> ``arch -> float``.
        config: the search's configuration (objectives, constraints, reward mode).
        space: the search space.
        index: the evaluation's position in the history.
        iteration: 0 for the initial design, then the BO step.
        timeout_s: run the evaluation in a child process ended after this many seconds
            (:func:`evaluate_with_timeout`); ``None``: in this process, no limit.

    Returns:
        The evaluation, with the reward in reward mode.
    """
    if timeout_s is not None:
        return evaluate_with_timeout(arch, evaluators, config, space, index, iteration, timeout_s)
    start = time.perf_counter()
    values = {o.name: math.nan for o in config.objectives}
    error = ""
    for o in config.objectives:
        try:
            value = float(evaluators[o.name](arch))
            if not math.isfinite(value):
                raise ValueError(f"returned {value}")
            values[o.name] = value
        except (Interrupted, KeyboardInterrupt):
            raise  # the user stops the run
        except BaseException as err:  # noqa: BLE001 - any evaluator failure (sys.exit too) is recorded, not fatal
            error = f"{o.name}: {type(err).__name__}: {err}"
            log.warning("evaluation of %s failed: %s", space.format(arch), error)
            break
    return evaluation_of(arch, values, error, config, space, index, iteration, time.perf_counter() - start)


def evaluation_of(arch: Arch, values: Mapping[str, float], error: str, config: Config, space: SearchSpace,
                  index: int, iteration: int, seconds: float) -> Evaluation:
    """The history row of ``arch`` with its objective ``values`` (``NaN`` where missing) or an
    ``error``: feasibility from the constraints, and the reward in reward mode.

    Args:
        seconds: the evaluation's wall time (s).
    """
    values = {o.name: float(values.get(o.name, math.nan)) for o in config.objectives}
    return Evaluation(
        index=index, iteration=iteration, arch=space.format(arch), key=space.canonical_key(arch), values=values,
        feasible=not error and is_feasible(values, config.objectives), failed=bool(error), error=error,
        seconds=seconds, extra={"reward": reward(values, config)} if config.search.mode == "reward" else {},
    )


def evaluate_with_timeout(arch: Arch, evaluators: Mapping[str, Evaluator], config: Config, space: SearchSpace,
                          index: int, iteration: int, timeout_s: float) -> Evaluation:
    """:func:`evaluate` in a forked child process that is ended after ``timeout_s`` seconds: an
    evaluator that never returns is recorded as failed with error ``timeout``, and one whose
    process dies as failed too; the search goes on.

    The child is forked, so evaluators need not be picklable; only the evaluation comes back.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_evaluate_into, args=(send, arch, evaluators, config, space, index, iteration),
                            daemon=True)
    start = time.perf_counter()
    child.start()
    send.close()
    try:
        if receive.poll(timeout_s):
            try:
                return receive.recv()
            except EOFError:
                child.join(5)
                error = f"worker died (exit status {child.exitcode})"
        else:
            error = f"timeout: still running after {timeout_s:g} s"
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
    log.warning("evaluation of %s failed: %s", space.format(arch), error)
    return evaluation_of(arch, {}, error, config, space, index, iteration, time.perf_counter() - start)


def _evaluate_into(send: Connection, arch: Arch, evaluators: Mapping[str, Evaluator], config: Config,
                   space: SearchSpace, index: int, iteration: int) -> None:
    # a Ctrl-C or SIGTERM stops the search, which ends this child: no second report from here
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    send.send(evaluate(arch, evaluators, config, space, index, iteration))
    send.close()
