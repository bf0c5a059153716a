"""The local executor: one evaluation at a time on this machine, in the search's own process or,
under a timeout, in a forked child process."""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection

from mobo.evaluation import run_evaluators
from mobo.execution.base import Job, Outcome
from mobo.objectives import Evaluator
from spaces import SearchSpace

WORKER = "local"


class LocalExecutor:
    """Runs one job at a time, when :meth:`wait` is called.

    Args:
        evaluators: objective name -> ``arch -> float``, in objective order.
        space: the search space (parses the jobs' architectures).
        timeout_s: run each job in a forked child process ended after this many seconds (its
            outcome: error ``timeout: ...``); ``None``: in this process, no limit.
    """

    workers = 1

    def __init__(self, evaluators: Mapping[str, Evaluator], space: SearchSpace, timeout_s: float | None = None) -> None:
        self.evaluators = dict(evaluators)
        self.space = space
        self.timeout_s = timeout_s
        self._jobs: list[Job] = []

    def submit(self, job: Job) -> None:
        if self._jobs:
            raise RuntimeError("the local executor runs one job at a time")
        self._jobs.append(job)

    def in_flight(self) -> list[Job]:
        return list(self._jobs)

    def wait(self) -> list[Outcome]:
        job = self._jobs[0]
        started = time.time()
        if self.timeout_s is None:
            values, error = run_evaluators(self.space.parse(job.arch), self.evaluators)
        else:
            values, error = self._in_child(job, self.timeout_s)
        self._jobs.clear()
        return [Outcome(job, values, error, started, time.time(), WORKER)]

    def cancel(self) -> None:
        self._jobs.clear()  # an in-process job stops with the exception; a child is ended by _in_child

    def close(self) -> None:
        self._jobs.clear()

    def _in_child(self, job: Job, timeout_s: float) -> tuple[dict[str, float], str]:
        """The job in a forked child process, ended after ``timeout_s`` seconds; one whose process
        dies is failed too. Forked, so evaluators need not be picklable; only the values come back."""
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_evaluate_into, args=(send, self.space, job.arch, self.evaluators), daemon=True)
        child.start()
        send.close()
        try:
            if receive.poll(timeout_s):
                try:
                    return receive.recv()
                except EOFError:
                    child.join(5)
                    return {}, f"worker died (exit status {child.exitcode})"
            return {}, f"timeout: still running after {timeout_s:g} s"
        finally:
            if child.is_alive():
                child.kill()
            child.join()
            receive.close()


def _evaluate_into(send: Connection, space: SearchSpace, arch: str, evaluators: Mapping[str, Evaluator]) -> None:
    # a Ctrl-C or SIGTERM stops the search, which ends this child: no second report from here
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    send.send(run_evaluators(space.parse(arch), evaluators))
    send.close()
