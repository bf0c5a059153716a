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
from mobo.evaluation import evaluate
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
        progress: show a progress bar.
    """

    def __init__(self, config: Config, run_dir: Path, evaluators: Mapping[str, Evaluator] | None = None,
                 latent: LatentModel | None = None, proposer: Proposer | None = None,
                 space: SearchSpace | None = None, progress: bool = True) -> None:
        self.config = config
        self.files = RunDir(Path(run_dir))
        self.run_dir = self.files.path
        self.progress = progress
        self.space = space or (latent.space if latent is not None else get_space(config.space.name,
                                                                              **config.space.network))
        self.evaluators = build_evaluators(config, self.space, evaluators or {})
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

    def evaluate(self, arch: Arch, iteration: int) -> Evaluation:
        """Runs every evaluator on ``arch`` (:func:`mobo.evaluation.evaluate`), in a child process
        ended after ``execution.timeout_s`` when it is set."""
        return evaluate(arch, self.evaluators, self.config, self.space, len(self.history), iteration,
                        self.config.execution.timeout_s)

    def _initial_design(self, bar: tqdm) -> None:
        """Evaluates ``search.initial`` distinct architectures sampled uniformly (fixed by the
        seed), and more from the same draws while fewer than two succeeded: the models need two."""
        s, n = self.config.search, self.config.search.initial
        while len(self.history) < s.budget:
            design = initial_design(self.space, n, self.config.seed)
            for arch in [a for a in design if self.space.format(a) not in self.history.archs]:
                if len(self.history) < s.budget:
                    self._record(self.evaluate(arch, 0), bar)
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

    def propose(self, iteration: int, q: int | None = None, pending: Sequence[Arch] = ()) -> list[Arch]:
        """The next ``q`` new architectures (default: the batch size, within the budget), from random
        streams fixed by (seed, iteration) so that a resumed run proposes what the uninterrupted one
        would have; ``pending``: asked and not evaluated yet (:meth:`ask`)."""
        s = self.config.search
        q = min(s.batch_size, s.budget - len(self.history)) if q is None else q
        if self.proposer is None:
            self.proposer = LatentBO(self)
            saved = self.files.read_proposal()
            if saved is not None and hasattr(self.proposer, "load_state_dict"):
                self.proposer.load_state_dict(saved["state"])
        with step_streams(self.config.seed, iteration) as (generator, rng):
            p = self.proposer.propose(self, iteration, q, generator, rng, **({"pending": pending} if pending else {}))
        state = self.proposer.state_dict() if hasattr(self.proposer, "state_dict") else {}
        self.files.write_proposal(iteration, [self.space.format(a) for a in p.archs], state)
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

    def _run(self) -> SearchResult:
        s = self.config.search
        if len(self.history):
            log.info("resuming %s at %d/%d evaluations", self.run_dir, len(self.history), s.budget)
        bar = tqdm(total=s.budget, initial=len(self.history), desc="search", disable=not self.progress,
                   file=sys.stderr, unit="eval")
        result: SearchResult | None = None
        try:
            if self.history.last_iteration <= 0:
                self._initial_design(bar)
                result = self.save_results(bar)
            while len(self.history) < s.budget:
                iteration, texts = self.files.unfinished_batch(self.history.archs, self.history.last_iteration)
                batch = [self.space.parse(t) for t in texts]
                if not batch:
                    iteration = self.history.last_iteration + 1
                    try:
                        batch = self.propose(iteration)
                    except SpaceExhausted as err:
                        log.warning("stopping early: %s", err)
                        break
                for arch in batch[: s.budget - len(self.history)]:
                    self._record(self.evaluate(arch, iteration), bar)
                result = self.save_results(bar)
        finally:
            bar.close()
        # a resumed run that was already finished has written nothing yet
        return result if result is not None else self.save_results(None)

    def _record(self, evaluation: Evaluation, bar: tqdm) -> None:
        self.history.append(evaluation)
        log.info("eval %d (iter %d) %s %s%s", evaluation.index, evaluation.iteration, evaluation.arch,
                 json.dumps(evaluation.values), " FAILED " + evaluation.error if evaluation.failed else "")
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
