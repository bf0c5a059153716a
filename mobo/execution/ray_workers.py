"""The Ray executor: evaluations on Ray workers, on this machine or across a cluster.

Each job runs as one Ray task per group of objectives that need the same resources (an
objective's ``resources``), so accuracy can train on a GPU node while latency is measured on
the node wired to the device. A task whose worker dies is resubmitted by Ray up to
``execution.retries`` times (``max_retries``); one that raises never is: its error is the
evaluation's. A task running past ``execution.timeout_s`` is cancelled with its worker process
(Ray starts another).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import RayError, TaskCancelledError

from mobo.config import Config
from mobo.evaluation import run_evaluators
from mobo.execution.base import Job, Outcome
from mobo.objectives import Evaluator, build_evaluators
from spaces import SearchSpace

log = logging.getLogger("latentnas")

# How often wait() wakes to check timeouts and signals (s).
_POLL_S = 0.5
# How often a running task tells the clock it is alive, and how long a silence means its worker died (s).
_BEAT_S = 0.5
_STALE_S = 3.0
# Resources Ray schedules by keyword rather than in ``resources``.
_KEYWORDS = {"CPU": "num_cpus", "GPU": "num_gpus", "memory": "memory"}


@dataclass(frozen=True)
class Group:
    """Objectives evaluated in one task: those that need the same resources.

    Attributes:
        names: objective names, in config order.
        resources: Ray resources each task needs (``{}``: one CPU).
    """

    names: tuple[str, ...]
    resources: dict[str, float]

    def options(self, retries: int) -> dict[str, Any]:
        """Ray task options: its resources, and retries on worker death only."""
        extra = dict(self.resources)
        options: dict[str, Any] = {_KEYWORDS[k]: extra.pop(k) for k in list(extra) if k in _KEYWORDS}
        options.setdefault("num_cpus", 1)
        if extra:
            options["resources"] = extra
        return {**options, "max_retries": retries, "retry_exceptions": False}


def groups(config: Config) -> list[Group]:
    """The objectives grouped by the resources they need, in order of their first objective."""
    found: dict[tuple[tuple[str, float], ...], list[str]] = {}
    for o in config.objectives:
        found.setdefault(tuple(sorted((o.resources or {}).items())), []).append(o.name)
    return [Group(tuple(names), dict(key)) for key, names in found.items()]


# --- on the workers -------------------------------------------------------------------

# A worker process keeps the evaluators it built, per run and group (built once, used by every task).
_BUILT: dict[tuple[str, tuple[str, ...]], tuple[SearchSpace, dict[str, Evaluator]]] = {}


def _worker_name() -> str:
    return f"{ray.get_runtime_context().get_node_id()[:8]}:{os.getpid()}"


@ray.remote
class _Clock:
    """When each task's current attempt started and last said it was alive, on this actor's
    clock: a timeout counts a task's running time on its current worker, not a submission that
    waited for a worker with the resources, nor an attempt whose worker died before a retry."""

    def __init__(self) -> None:
        self.attempts: dict[str, tuple[str, float, float]] = {}  # key -> (worker, first, last)

    def beat(self, key: str, worker: str) -> None:
        now = time.time()
        current = self.attempts.get(key)
        first = current[1] if current is not None and current[0] == worker else now
        self.attempts[key] = (worker, first, now)

    def running(self) -> dict[str, float]:
        """Seconds each task's current attempt has run, for those whose worker beat lately."""
        now = time.time()
        return {key: now - first for key, (_, first, last) in self.attempts.items() if now - last < _STALE_S}

    def forget(self, keys: list[str]) -> None:
        for key in keys:
            self.attempts.pop(key, None)


def _beating(clock: Any, key: str, worker: str) -> threading.Event:
    """Tells ``clock`` every :data:`_BEAT_S` that the task runs here, until the event is set."""
    done = threading.Event()

    def beat() -> None:
        while not done.is_set():
            clock.beat.remote(key, worker)
            done.wait(_BEAT_S)

    threading.Thread(target=beat, daemon=True).start()
    return done


@ray.remote
def _evaluate_group(payload: list[ray.ObjectRef], run: str, cwd: str, names: tuple[str, ...], arch: str,
                    key: str, clock: Any) -> tuple[dict[str, float], str, float, float, str]:
    """One group's evaluators on ``arch``: ``(values, error, started, ended, worker)``."""
    started, worker = time.time(), _worker_name()
    beating = _beating(clock, key, worker) if clock is not None else None
    try:
        if (run, names) not in _BUILT:
            if cwd not in sys.path:  # a user's module:function from the search's directory
                sys.path.insert(0, cwd)
            config, space, given = ray.get(payload[0])
            _BUILT[(run, names)] = space, build_evaluators(config, space, given, names)
        space, evaluators = _BUILT[(run, names)]
        values, error = run_evaluators(space.parse(arch), evaluators)
    except Exception as err:  # noqa: BLE001 - a worker that cannot build the evaluators fails the evaluation
        values, error = {}, f"{names[0]}: on worker {worker}: {type(err).__name__}: {err}"
    finally:
        if beating is not None:
            beating.set()
    return values, error, started, time.time(), worker


# --- in the search ----------------------------------------------------------------------


@dataclass
class _Running:
    """A job in flight: its tasks (one per group) and what the finished ones returned."""

    job: Job
    submitted: float
    tasks: dict[int, ray.ObjectRef] = field(default_factory=dict)
    results: dict[int, tuple[dict[str, float], str, float, float, str]] = field(default_factory=dict)


class RayExecutor:
    """Runs jobs on Ray, ``workers`` at once.

    Args:
        config: the search's configuration (its objectives, ``execution`` and the sources the
            workers build their evaluators from).
        space: the search space.
        given: evaluators passed from Python (sent to the workers, so they must pickle).
        run: a name for the run, unique per process (workers cache what they built under it).

    Raises:
        ValueError: when Ray cannot be started or joined, no worker offers an objective's
            resources, or a given evaluator cannot be sent to the workers.
    """

    def __init__(self, config: Config, space: SearchSpace, given: Mapping[str, Evaluator], run: str) -> None:
        e = config.execution
        self.workers = e.workers
        self.timeout_s = e.timeout_s
        self.retries = e.retries
        self.groups = groups(config)
        self.run = run
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            _start(e.address, e.workers)
        try:
            _check_resources(config)
            try:
                self._payload = ray.put((config, space, dict(given)))
            except Exception as err:  # noqa: BLE001 - pickling errors come in many types
                raise ValueError(f"execution.backend: Ray sends the evaluators to its workers, and one cannot be "
                                 f"sent: {type(err).__name__}: {err}") from None
            self._clock = _Clock.options(num_cpus=0).remote() if self.timeout_s is not None else None
        except BaseException:
            self.close()
            raise
        self._running: dict[str, _Running] = {}
        self._tasks: dict[ray.ObjectRef, tuple[str, int, str]] = {}  # ref -> (arch, group, key)
        self._timed_out: dict[str, str] = {}  # task key -> its error
        self._count = 0

    def submit(self, job: Job) -> None:
        running = _Running(job, time.time())
        for g, group in enumerate(self.groups):
            self._count += 1
            key = f"{self.run}/{self._count}"
            ref = _evaluate_group.options(**group.options(self.retries)).remote(
                [self._payload], self.run, os.getcwd(), group.names, job.arch, key, self._clock)
            running.tasks[g] = ref
            self._tasks[ref] = (job.arch, g, key)
        self._running[job.arch] = running

    def in_flight(self) -> list[Job]:
        return [r.job for r in self._running.values()]

    def wait(self) -> list[Outcome]:
        while True:
            refs = list(self._tasks)
            ready, _ = ray.wait(refs, num_returns=1, timeout=_POLL_S)
            if ready:  # and every other one that is ready too
                ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
            for ref in ready:
                self._collect(ref)
            if self.timeout_s is not None:
                self._end_overdue()
            finished = [self._outcome(r) for r in list(self._running.values()) if self._is_finished(r)]
            if finished:
                return finished

    def cancel(self) -> None:
        for ref in self._tasks:
            ray.cancel(ref, force=True)
        self._tasks.clear()
        self._running.clear()

    def close(self) -> None:
        if self._owns_ray and ray.is_initialized():
            ray.shutdown()

    # --- bookkeeping ---------------------------------------------------------------------
    def _collect(self, ref: ray.ObjectRef) -> None:
        arch, g, key = self._tasks.pop(ref)
        running = self._running.get(arch)
        if running is None:
            return
        try:
            result = ray.get(ref)
        except TaskCancelledError:
            result = ({}, self._timed_out.pop(key, "cancelled"), running.submitted, time.time(), "")
        except RayError as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else ""
            result = ({}, f"worker died ({type(err).__name__}: {first}; tried {self.retries + 1} times)",
                      running.submitted, time.time(), "")
        running.results[g] = result
        if self._clock is not None:
            self._clock.forget.remote([key])

    def _end_overdue(self) -> None:
        """Cancels (with its worker process) every task running longer than ``timeout_s``."""
        assert self._clock is not None and self.timeout_s is not None
        running = ray.get(self._clock.running.remote())
        for ref, (_, _, key) in list(self._tasks.items()):
            if running.get(key, 0.0) > self.timeout_s and key not in self._timed_out:
                self._timed_out[key] = f"timeout: still running after {self.timeout_s:g} s"
                ray.cancel(ref, force=True)

    def _is_finished(self, running: _Running) -> bool:
        return len(running.results) == len(self.groups) or any(r[1] for r in running.results.values())

    def _outcome(self, running: _Running) -> Outcome:
        """A finished job's outcome; the other tasks of a failed job are cancelled."""
        del self._running[running.job.arch]
        for g, ref in running.tasks.items():
            if g not in running.results and ref in self._tasks:
                del self._tasks[ref]
                ray.cancel(ref, force=True)
        order = [name for group in self.groups for name in group.names]
        values: dict[str, float] = {}
        errors: list[tuple[int, str]] = []
        for g, (v, error, _, _, _) in running.results.items():
            values.update(v)
            if error:
                failed = next((n for n in self.groups[g].names if n not in v), self.groups[g].names[0])
                errors.append((order.index(failed), error))
        results = [running.results[g] for g in sorted(running.results)]
        return Outcome(running.job, values, min(errors)[1] if errors else "", min(r[2] for r in results),
                       max(r[3] for r in results), "+".join(r[4] for r in results if r[4]))


def _start(address: str | None, workers: int) -> None:
    """Starts a Ray instance on this machine (``address`` ``None``; as many CPU slots as
    ``workers`` at least) or joins the cluster at ``address``."""
    options: dict[str, Any] = {"logging_level": logging.WARNING}
    if address is None:  # "local": a new instance even when `ray start` left one running here
        options.update(address="local", num_cpus=max(workers, os.cpu_count() or 1), include_dashboard=False)
    try:
        ray.init(**{"address": address, **options})
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise ValueError(f"execution.address: cannot {'start Ray' if address is None else f'join {address!r}'}: "
                         f"{err}") from None
    log.info("ray: %s, resources %s", "started on this machine" if address is None else f"joined {address}",
             ray.cluster_resources())


def _check_resources(config: Config) -> None:
    """Every objective's resources are offered by some node (else its tasks would wait forever)."""
    nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
    for o in config.objectives:
        need = dict(o.resources or {})
        if need and not any(all(r.get(k, 0) >= v for k, v in need.items()) for r in nodes):
            offered = sorted({k for r in nodes for k in r if not k.startswith("node:")})
            raise ValueError(f"objectives.{o.name}.resources: no Ray node offers {need} (the cluster offers "
                             f"{', '.join(offered)}); start a worker with ray start --resources")
