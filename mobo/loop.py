"""The search loop: an initial design, then BO steps, each evaluation saved as it finishes."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import torch
from tqdm import tqdm

from gvae.latent import LatentModel
from mobo.acquisition import uncompiled_log_ehvi
from mobo.asktell import ask, tell
from mobo.candidates import SpaceExhausted, initial_design
from mobo.checks import check_inputs, check_resume
from mobo.config import Config
from mobo.context import run_context, run_log, step_streams
from mobo.embedding import latent_bounds, run_latent_model
from mobo.evaluation import evaluation_of
from mobo.execution import Executor, Job, Outcome, build_executor
from mobo.history import Evaluation
from mobo.objectives import Evaluator, build_evaluators
from mobo.proposer import LatentBO, Proposer
from mobo.objectives.table import BenchmarkTable
from mobo.results import (
    NetworkCost, SearchResult, default_table, fixed_reference, front_hypervolume, maximize_reference,
    reference_point, write_results,
)
from mobo.rundir import RunDir
from spaces import Arch, SearchSpace, get_space

log = logging.getLogger("latentnas")


class Search:
    """One search run in ``run_dir`` (new or resumed).

    Args:
        config: the validated configuration.
        run_dir: the run directory (created if needed).
        evaluators: objective name -> ``arch -> float`` for the objectives you evaluate
            yourself; the others are built from the config's sources.
        latent: the latent model; by default the run's own copy, else loaded or trained
            per ``config.gvae``.
        proposer: what a BO step proposes (:mod:`mobo.proposer`); by default :class:`LatentBO`.
        space: the search space (a user's own); by default ``latent``'s, else ``config.space``'s.
        executor: where evaluations run (:mod:`mobo.execution`); by default the one
            ``config.execution`` asks for, started when the run starts and closed after.
        progress: show a progress bar.
    """

    def __init__(self, config: Config, run_dir: Path, evaluators: Mapping[str, Evaluator] | None = None,
                 latent: LatentModel | None = None, proposer: Proposer | None = None,
                 space: SearchSpace | None = None, executor: Executor | None = None, progress: bool = True) -> None:
        self.config = config
        self.files = RunDir(Path(run_dir))
        self.run_dir = self.files.path
        self.progress = progress
        self.space = space or (latent.space if latent is not None else get_space(config.space.name,
                                                                              **config.space.network))
        self.given = dict(evaluators or {})
        self.evaluators = build_evaluators(config, self.space, self.given)
        self.executor = executor
        check_inputs(config, self.space, skip=set(evaluators or {}))
        self.reward_mode = config.search.mode == "reward"
        with self.files.lock():
            self.history = self.files.history(config)
            check_resume(config, self.files, self.history)
            self.files.write_config(config)
            with run_log(self.files.file(RunDir.LOG)):
                self.latent = latent or run_latent_model(self.files, self.space, config, progress)
        self._bounds: torch.Tensor | None = None
        self.proposer = proposer
        self.cost = NetworkCost(self.space)
        self._true_hv: tuple[tuple, float] | None = None  # (reference, true front's hypervolume)

    @property
    def bounds(self) -> torch.Tensor:
        """``2 x d`` latent box covering the space's codes."""
        if self._bounds is None:
            self._bounds = latent_bounds(self.latent, self.config.seed)
        return self._bounds

    def successful(self) -> list[Evaluation]:
        """The evaluations a model can learn from (in reward mode: those with a reward)."""
        return self.history.successful("reward" if self.reward_mode else None)

    def _initial_design(self, executor: Executor, bar: tqdm) -> None:
        """Evaluates ``search.initial`` distinct architectures sampled uniformly (fixed by the
        seed), and more from the same draws while fewer than two succeeded: the models need two."""
        s, n = self.config.search, self.config.search.initial
        while len(self.history) < s.budget:
            design = initial_design(self.space, n, self.config.seed)
            jobs = [Job(text, 0) for text in map(self.space.format, design) if text not in self.history.archs]
            while True:
                self._submit(executor, jobs)
                if not executor.in_flight():
                    break
                if executor.workers > 1 and self.proposer is None:
                    self.bounds  # noqa: B018 - the proposer's latent box, computed while the workers evaluate
                for outcome in executor.wait():
                    self._record(outcome, bar)
            if len(self.successful()) >= 2 or len(design) < n:
                return
            n += s.initial

    def reference_tensor(self, focus: bool = False) -> torch.Tensor:
        """The run's reference point (fixed once after the initial design, stored in the run) in
        maximize form (``m``); ``focus``: a focus step's (:mod:`mobo.steps`), from the initial design."""
        records, objectives = self.history.records, self.config.objectives
        if focus:
            ref = reference_point([r for r in records if r.iteration == 0], objectives, self.config.search.focus_quantile)
        else:
            ref = fixed_reference(self.files, records, objectives)
        return maximize_reference(ref, objectives)

    def propose(self, iteration: int, q: int | None = None, pending: Sequence[Job] = ()) -> list[Arch]:
        """The next ``q`` new architectures (default: the batch size, within the budget), from random
        streams fixed by (seed, iteration) so that a resumed run proposes what the uninterrupted one
        would have; ``pending``: proposed and not evaluated yet (in flight, or asked)."""
        s = self.config.search
        q = min(s.batch_size, s.budget - len(self.history)) if q is None else q
        if self.proposer is None:
            self.proposer = LatentBO(self)
            saved = self.files.read_proposal()
            if saved is not None and hasattr(self.proposer, "load_state_dict"):
                self.proposer.load_state_dict(saved["state"])
        busy = [self.space.parse(j.arch) for j in pending]
        with step_streams(self.config.seed, iteration) as (generator, rng):
            p = self.proposer.propose(self, iteration, q, generator, rng, **({"pending": busy} if busy else {}))
        state = self.proposer.state_dict() if hasattr(self.proposer, "state_dict") else {}
        picks = [self.space.format(a) for a in p.archs]
        self.files.write_proposal(iteration, picks, state, {**{j.arch: j.iteration for j in pending},
                                                            **dict.fromkeys(picks, iteration)})
        self.files.append_timing((iteration, len(self.successful()), round(p.fit_seconds, 4),
                                  round(p.candidate_seconds, 4), p.repeats, p.candidates))
        log.info("iteration %d: fit %.2f s, candidates and ranking %.2f s", iteration, p.fit_seconds,
                 p.candidate_seconds)
        return p.archs

    def ask(self, n: int = 1) -> list[Arch]:
        """``n`` architectures to evaluate elsewhere (the initial design first), those asked and
        not told yet pending (:mod:`mobo.asktell`)."""
        with self._owned():
            return ask(self, n)

    def tell(self, arch: Arch | str, values: Mapping[str, float] | None = None, error: str = "") -> Evaluation:
        """Records an evaluation of an asked architecture: every objective's value, or ``error``."""
        with self.files.lock():
            return tell(self, arch, values, error)

    def run(self) -> SearchResult:
        """Runs (or resumes) the search to ``search.budget`` evaluations. The log handler, torch's
        thread count (``search.threads``) and its global generator are the run's while it runs."""
        with self._owned():
            return self._run()

    @contextmanager
    def _owned(self) -> Iterator[None]:
        """The run directory's lock, the run's global state (:func:`mobo.context.run_context`)."""
        with self.files.lock(), run_context(self.files.file(RunDir.LOG), self.config.search.threads), \
                uncompiled_log_ehvi():
            yield

    @contextmanager
    def _execution(self) -> Iterator[Executor]:
        """The run's executor (``execution``, or the one given), its jobs cancelled when the run
        stops on an exception (Ctrl-C included) and its workers released after."""
        executor = self.executor or build_executor(self.config, self.space, self.evaluators, self.given,
                                                   f"{self.run_dir.name}-{id(self)}")
        try:
            yield executor
        except BaseException:
            if executor.in_flight():
                log.warning("stopped with %d evaluations in flight: cancelled", len(executor.in_flight()))
            executor.cancel()
            raise
        finally:
            if self.executor is None:
                executor.close()

    def _run(self) -> SearchResult:
        s = self.config.search
        if len(self.history):
            log.info("resuming %s at %d/%d evaluations", self.run_dir, len(self.history), s.budget)
        bar = tqdm(total=s.budget, initial=len(self.history), desc="search", disable=not self.progress,
                   file=sys.stderr, unit="eval")
        result: SearchResult | None = None
        try:
            with self._execution() as executor:
                if self.history.last_iteration <= 0:
                    self._initial_design(executor, bar)
                    result = self.save_results(bar)
                result = self._optimize(executor, bar) or result
        finally:
            bar.close()
        # a resumed run that was already finished has written nothing yet
        return result if result is not None else self.save_results(None)

    def _optimize(self, executor: Executor, bar: tqdm) -> SearchResult | None:
        """BO steps until the budget, each with the architectures proposed and not evaluated yet
        pending. With one worker a step proposes ``search.batch_size`` architectures, evaluated
        one after another. With several (asynchronous BO), a step proposes one for each free
        worker and one ahead (at most ``search.batch_size``), which the next worker to finish
        starts at once, so that no worker waits for a whole batch nor for a step; the proposer
        believes the pending ones' outcomes (:func:`mobo.surrogate.believe`)."""
        s = self.config.search
        queue = [Job(a, it) for a, it in self.files.unfinished(self.history.archs, self.history.last_iteration).items()]
        iteration = max([self.history.last_iteration, *(j.iteration for j in queue)])
        exhausted, result = False, None
        while len(self.history) < s.budget:
            self._submit(executor, queue)
            need = 0 if exhausted else self._step_size(executor, queue)
            if need > 0:
                iteration += 1
                pending = [*executor.in_flight(), *queue]
                try:
                    picks = self.propose(iteration, need, pending)
                except SpaceExhausted as err:
                    log.warning("stopping early: %s", err)
                    picks = []
                exhausted = not picks
                queue += [Job(self.space.format(a), iteration) for a in picks]
                self._submit(executor, queue)
                if not exhausted and self._step_size(executor, queue) > 0:
                    continue  # workers still free (a step proposes at most batch_size): another step first
            if not executor.in_flight():
                break
            for outcome in executor.wait():
                self._record(outcome, bar)
            if not queue or executor.workers > 1:  # one worker: once a batch is done
                result = self.save_results(bar)
        return result

    def _step_size(self, executor: Executor, queue: list[Job]) -> int:
        """How many architectures the next step proposes (0: no step now), within the budget."""
        busy = len(executor.in_flight())
        room = self.config.search.budget - len(self.history) - busy - len(queue)
        if executor.workers == 1:
            need = self.config.search.batch_size if not queue and not busy else 0
        else:
            need = min(executor.workers - busy + 1, self.config.search.batch_size) - len(queue)
        return max(0, min(need, room))

    def _submit(self, executor: Executor, queue: list[Job]) -> None:
        """Submits the first jobs of ``queue`` (removed from it) while a worker is free and the
        budget has room."""
        while queue and len(executor.in_flight()) < executor.workers and \
                len(self.history) + len(executor.in_flight()) < self.config.search.budget:
            executor.submit(queue.pop(0))

    def _record(self, outcome: Outcome, bar: tqdm) -> None:
        evaluation = evaluation_of(self.space.parse(outcome.job.arch), outcome.values, outcome.error, self.config,
                                   self.space, len(self.history), outcome.job.iteration,
                                   outcome.ended - outcome.started, outcome.started, outcome.worker)
        self.history.append(evaluation)
        if evaluation.failed:
            log.warning("eval %d (iter %d) %s FAILED %s", evaluation.index, evaluation.iteration, evaluation.arch,
                        evaluation.error)
        else:
            log.info("eval %d (iter %d) %s %s", evaluation.index, evaluation.iteration, evaluation.arch,
                     json.dumps(evaluation.values))
        bar.update(1)

    def _true_hypervolume(self, ref: Mapping[str, float]) -> float | None:
        """The hypervolume of the table's true front when every objective is a table column
        (computed once per reference), else ``None``."""
        path = default_table(self.config)
        if path is None:
            return None
        key = tuple(sorted(ref.items()))
        if self._true_hv is None or self._true_hv[0] != key:
            self._true_hv = (key, front_hypervolume(BenchmarkTable(path), self.config.objectives, ref))
        return self._true_hv[1] or None

    def save_results(self, bar: tqdm | None) -> SearchResult:
        """Rewrites hypervolume.csv, pareto.csv and pareto.json from the history."""
        ref = fixed_reference(self.files, self.history.records, self.config.objectives)
        size, hv = write_results(self.files, self.history.records, self.config, self.space.name, ref, self.cost)
        if bar is not None and not bar.disable:  # the true front is for the eyes only: no cost without a bar
            best = self._true_hypervolume(ref)
            bar.set_postfix(hv=f"{hv:.4g}", front=size, **({"of_true_front": f"{hv / best:.3f}"} if best else {}))
        return SearchResult(self.run_dir, len(self.history), size, hv)
