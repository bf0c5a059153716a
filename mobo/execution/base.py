"""What every executor shares: the job it is given, the outcome it returns, and its protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Job:
    """One architecture to evaluate.

    Attributes:
        arch: its string form.
        iteration: 0 for the initial design, else the BO step that proposed it.
    """

    arch: str
    iteration: int


@dataclass(frozen=True)
class Outcome:
    """A finished job.

    Attributes:
        job: the job.
        values: objective name -> value, for the objectives that returned one.
        error: why it failed (``""``: every objective returned a value); ``timeout: ...`` when
            it ran past ``execution.timeout_s``, ``worker died (...)`` when its process did.
        started: when it started (s since the epoch).
        ended: when it ended (s since the epoch).
        worker: where it ran (``local``, or Ray's ``node:pid`` per group of objectives that
            need the same resources, joined by ``+``).
    """

    job: Job
    values: dict[str, float]
    error: str
    started: float
    ended: float
    worker: str


class Executor(Protocol):
    """Runs jobs, up to ``workers`` at once (:mod:`mobo.execution`).

    Attributes:
        workers: jobs in flight at once.
    """

    workers: int

    def submit(self, job: Job) -> None:
        """Starts ``job`` (the caller keeps at most ``workers`` in flight)."""

    def in_flight(self) -> list[Job]:
        """The jobs submitted and not returned by :meth:`wait` yet, in submission order."""

    def wait(self) -> list[Outcome]:
        """Blocks until at least one job in flight finishes and returns every finished one."""

    def cancel(self) -> None:
        """Stops every job in flight (the run was interrupted)."""

    def close(self) -> None:
        """Releases the workers."""
