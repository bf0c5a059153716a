"""The search loop: initial design, then latent BO iterations, each evaluation saved as it finishes."""

from __future__ import annotations

import csv
import json
import logging
import math
import random
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml
from botorch.acquisition import AcquisitionFunction
from tqdm import tqdm

from gvae.latent import LatentModel
from mobo.acquisition import (
    MeasuredEHVI,
    outcome_constraints,
    qlogehvi_measured,
    qlognehvi,
    qlognei,
    qlogparego_list,
)
from mobo.candidates import SpaceExhausted, candidate_pool, decode_distinct, optimize, select, unseen_sample
from mobo.config import Config, to_dict
from mobo.embedding import latent_bounds, latent_model
from mobo.history import Evaluation, History
from mobo.objectives import BenchmarkTable, Evaluator, build_evaluator
from mobo.pareto import pareto_mask
from mobo.proxy_inputs import ProxyInputs, proxy_cache_path
from mobo.results import (
    NetworkCost,
    hypervolume_trace,
    is_feasible,
    json_safe,
    maximize_form,
    maximize_reference,
    pareto_rows,
    reference_point,
)
from mobo.reward import reward
from mobo.surrogate import clip_below_reference, compress_below_reference, fit_gp, hyperparameters, unit_box
from mobo.utils.io import atomic_write_csv, atomic_write_json, atomic_write_text
from spaces import Arch, SearchSpace, get_space
from spaces.profile import torch_threads

log = logging.getLogger("latentnas")

CONFIG_FILE = "config.yaml"
HISTORY_FILE = "history.csv"
REFERENCE_FILE = "reference_point.json"
HYPERVOLUME_FILE = "hypervolume.csv"
PARETO_CSV = "pareto.csv"
PARETO_JSON = "pareto.json"
LOG_FILE = "search.log"
GVAE_FILE = "gvae/model.pt"
TIMING_FILE = "timing.csv"
TIMING_HEADER = ("iteration", "observations", "fit_seconds", "optimizer_seconds", "candidate_seconds", "repeats",
                 "candidates")
# Trust-region centres in reward mode: the best evaluations by reward.
_REWARD_ANCHORS = 5


@dataclass(frozen=True)
class SearchResult:
    """Where a finished (or stopped) search left its results."""

    run_dir: Path
    evaluations: int
    pareto_size: int
    hypervolume: float


def write_config(run_dir: Path, config: Config) -> None:
    """Writes the resolved configuration (defaults filled in, the seed included)."""
    atomic_write_text(run_dir / CONFIG_FILE, yaml.safe_dump(to_dict(config), sort_keys=False))


def build_evaluators(config: Config, space: SearchSpace) -> dict[str, Evaluator]:
    """One evaluator per configured objective, in config order."""
    table = BenchmarkTable(config.table.path) if config.table.path else None
    evaluators = {}
    for o in config.objectives:
        try:
            evaluators[o.name] = build_evaluator(o.source, o.options, space, table, config.seed)
        except ValueError as err:
            key = {"table": "column", "lut": "path", "callable": "function"}.get(o.source, "source")
            raise ValueError(f"objectives.{o.name}.{key}: {err}") from None
    return evaluators


class Search:
    """One search run in ``run_dir`` (new or resumed).

    Args:
        config: the validated configuration.
        run_dir: the run directory (created if needed).
        evaluators: objective name -> ``arch -> float``; by default built
            from the config's sources (pass your own to plug in any evaluator).
        latent: the latent model; by default loaded or trained per ``config.gvae``.
        progress: show a progress bar.
    """

    def __init__(
        self,
        config: Config,
        run_dir: Path,
        evaluators: Mapping[str, Evaluator] | None = None,
        latent: LatentModel | None = None,
        progress: bool = True,
    ) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.progress = progress
        self._attach_log()
        self.space = latent.space if latent is not None else get_space(config.space.name, **config.space.network)
        self.evaluators = dict(evaluators) if evaluators is not None else build_evaluators(config, self.space)
        missing = [o.name for o in config.objectives if o.name not in self.evaluators]
        if missing:
            raise ValueError(f"no evaluator for objective(s): {', '.join(missing)}")
        self.reward_mode = config.search.mode == "reward"
        self.history = History.load(
            self.run_dir / HISTORY_FILE, [o.name for o in config.objectives], ["reward"] if self.reward_mode else []
        )
        write_config(self.run_dir, config)
        self.latent = latent or self._latent_model()
        self._bounds: torch.Tensor | None = None
        self._gp_state: dict[bool, dict[str, torch.Tensor]] = {}  # per kind of step: focus or not
        self.cost = NetworkCost(self.space)
        kind = config.search.quality_proxy
        self.proxy = (ProxyInputs(self.space, proxy_cache_path(self.space, kind, Path(config.output_root)), kind)
                      if kind != "none" else None)
        self.timing: list[tuple] = self._load_timing()

    def _latent_model(self) -> LatentModel:
        """The run's own copy of the graph VAE (so the run directory is self-contained and a
        resume uses the very model the run started with), made on first use."""
        local = self.run_dir / GVAE_FILE
        if local.is_file():
            return LatentModel.load(local, self.space)
        model = latent_model(self.space, self.config.gvae, Path(self.config.output_root), self.progress)
        model.save(local)
        if "metrics" in model.info:
            atomic_write_json(local.parent / "metrics.json", model.info["metrics"])
        return model

    # --- bookkeeping ---------------------------------------------------------
    def _attach_log(self) -> None:
        path = str((self.run_dir / LOG_FILE).resolve())
        if not any(getattr(h, "baseFilename", None) == path for h in log.handlers):
            handler = logging.FileHandler(path)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            log.addHandler(handler)
        log.setLevel(logging.INFO)

    def _load_timing(self) -> list[tuple]:
        path = self.run_dir / TIMING_FILE
        if not path.exists():
            return []
        with path.open(newline="") as f:
            return [tuple(row) for row in list(csv.reader(f))[1:]]

    @property
    def bounds(self) -> torch.Tensor:
        if self._bounds is None:
            self._bounds = latent_bounds(self.latent, self.config.seed)
        return self._bounds

    def evaluate(self, arch: Arch, iteration: int) -> Evaluation:
        """Runs every evaluator on ``arch``; a raise or a NaN marks it failed (the search goes on)."""
        start = time.perf_counter()
        values = {o.name: math.nan for o in self.config.objectives}
        error = ""
        for o in self.config.objectives:
            try:
                value = float(self.evaluators[o.name](arch))
                if not math.isfinite(value):
                    raise ValueError(f"returned {value}")
                values[o.name] = value
            except Exception as err:  # noqa: BLE001 - any evaluator failure is recorded, not fatal
                error = f"{o.name}: {type(err).__name__}: {err}"
                log.warning("evaluation of %s failed: %s", self.space.format(arch), error)
                break
        failed = bool(error)
        extra = {"reward": reward(values, self.config)} if self.reward_mode else {}
        return Evaluation(
            index=len(self.history),
            iteration=iteration,
            arch=self.space.format(arch),
            key=self.space.canonical_key(arch),
            values=values,
            feasible=not failed and is_feasible(values, self.config.objectives),
            failed=failed,
            error=error,
            seconds=time.perf_counter() - start,
            extra=extra,
        )

    def initial_design(self) -> list[Arch]:
        """``search.initial`` distinct architectures sampled uniformly, fixed by the seed."""
        rng = random.Random(self.config.seed)
        archs: list[Arch] = []
        texts: set[str] = set()
        for _ in range(100 * self.config.search.initial):
            arch = self.space.sample(rng)
            text = self.space.format(arch)
            if text not in texts:
                archs.append(arch)
                texts.add(text)
                if len(archs) == self.config.search.initial:
                    break
        return archs

    def reference(self) -> dict[str, float]:
        """The reference point, fixed once after the initial design and stored in the run."""
        path = self.run_dir / REFERENCE_FILE
        if path.exists():
            return json.loads(path.read_text())
        ref = reference_point(self.history.records, self.config.objectives)
        atomic_write_json(path, ref)
        return ref

    # --- the loop --------------------------------------------------------------
    def reference_tensor(self) -> torch.Tensor:
        """The reference point in maximize form (``m``), as the acquisition wants it."""
        return maximize_reference(self.reference(), self.config.objectives)

    def focus_reference_tensor(self) -> torch.Tensor:
        """The reference point of a focus step (``search.focus_every``) in maximize form (``m``),
        from the initial design (iteration 0), so a resumed run finds the same one."""
        initial = [r for r in self.history.records if r.iteration == 0]
        ref = reference_point(initial, self.config.objectives, self.config.search.focus_quantile)
        return maximize_reference(ref, self.config.objectives)

    def batch_start(self, iteration: int) -> tuple[int, list[Evaluation], torch.Generator, random.Random]:
        """What every proposal starts from: the batch size ``q`` (less at the end of the budget),
        the successful evaluations, and random streams seeded by (seed, iteration), so a
        resumed run proposes what the uninterrupted one would have."""
        s = self.config.search
        q = min(s.batch_size, s.budget - len(self.history))
        torch.manual_seed(self.config.seed * 1_000_003 + iteration)
        generator = torch.Generator().manual_seed(self.config.seed * 7_919 + iteration)
        rng = random.Random(self.config.seed * 104_729 + iteration)
        good = [r for r in self.history.records if not r.failed]
        if self.reward_mode:
            good = [r for r in good if not math.isnan(r.extra.get("reward", math.nan))]
        return q, good, generator, rng

    def propose(self, iteration: int) -> list[Arch]:
        """The next batch of ``q`` new architectures (see :mod:`mobo.candidates`)."""
        s = self.config.search
        q, good, generator, rng = self.batch_start(iteration)
        t0 = time.perf_counter()
        if (s.acquisition == "random" and not self.reward_mode) or len(good) < 2:
            lo, hi = self.bounds
            z = lo + (hi - lo) * torch.rand(q, lo.shape[0], generator=generator, dtype=lo.dtype)
            archs, repeats = decode_distinct(self.latent, z, self.bounds, self.history.archs, generator, rng)
            self._log_timing(iteration, len(good), t0, t0, t0, repeats, len(archs))
            return archs
        z, x = self.inputs([self.space.parse(r.arch) for r in good])
        if self.reward_mode:
            y = torch.tensor([[r.extra["reward"]] for r in good], dtype=torch.float64)
            acq = qlognei(self._fit(x, y), x, s.mc_samples)
            top = y[:, 0].argsort(descending=True)[:_REWARD_ANCHORS]
        else:
            y = maximize_form(good, self.config.objectives)
            focus = s.focus_every > 0 and iteration % s.focus_every == 0
            ref = self.focus_reference_tensor() if focus else self.reference_tensor()
            if focus:
                squash = compress_below_reference if s.focus_below_reference == "log" else None
            else:
                squash = compress_below_reference if s.below_reference == "log" else clip_below_reference
            y_fit = y if squash is None or s.outcome_floor is None else squash(y, ref, s.outcome_floor)
            model = self._fit(x, y_fit, focus)
            constraints = outcome_constraints(self.config.objectives)
            feasible = torch.tensor([r.feasible for r in good])
            if s.acquisition == "qlogparego":
                acq = qlogparego_list(model, x, y.shape[-1], constraints, s.mc_samples, q)
            elif s.acquisition == "qlogehvi_measured":
                acq = qlogehvi_measured(model, y_fit[feasible], ref, constraints, s.mc_samples)
            elif s.acquisition == "ehvi_measured":
                acq = MeasuredEHVI(model, y_fit[feasible], ref, self.config.objectives)
            else:
                acq = qlognehvi(model, x, ref, constraints, s.mc_samples)
            front = pareto_mask(y) & feasible if bool(feasible.any()) else pareto_mask(y)
            top = front.nonzero().squeeze(-1)
        anchors = z[top]
        centres = [self.space.parse(good[int(i)].arch) for i in top] if s.neighbour_candidates else []
        t1 = time.perf_counter()
        optima = optimize(acq, self.bounds, q, s.num_restarts, s.raw_samples) if s.num_restarts else None
        t2 = time.perf_counter()
        seen = self.history.archs
        repeats = 0 if optima is None else sum(self.space.format(a) in seen for a in self.latent.decode(optima))
        candidates = candidate_pool(self.latent, anchors, optima, self.bounds, seen, s.local_candidates,
                                    s.random_candidates, generator, rng, centres)
        try:  # a nearly exhausted space: fill from uniform samples, else go on with fewer than q
            while len(candidates) < q:
                candidates.append(unseen_sample(self.space, seen | {self.space.format(a) for a in candidates}, rng))
        except SpaceExhausted:
            if not candidates:
                raise
        archs = self.choose(acq, candidates, q)
        if self.proxy is not None:
            self.proxy.save()
        self._log_timing(iteration, len(good), t0, t1, t2, repeats, len(candidates))
        return archs

    def choose(self, acq: AcquisitionFunction | list[AcquisitionFunction], candidates: list[Arch],
               q: int) -> list[Arch]:
        """The ``q`` picks among ``candidates``: greedy by ``acq`` at their GP inputs, earlier picks
        pending (the one step a benchmark subclass watches, see ``bench.candidate_ranks``)."""
        picks = select(acq, self.gp_inputs(candidates), q, self.config.search.rescore_candidates)
        return [candidates[i] for i in picks]

    def _log_timing(self, iteration: int, observations: int, t0: float, t1: float, t2: float, repeats: int,
                    candidates: int) -> None:
        """Appends one row to ``timing.csv`` (fit, optimizer, then candidates and ranking until now)."""
        t3 = time.perf_counter()
        self.timing.append((iteration, observations, round(t1 - t0, 4), round(t2 - t1, 4), round(t3 - t2, 4),
                            repeats, candidates))
        atomic_write_csv(self.run_dir / TIMING_FILE, TIMING_HEADER, self.timing)
        log.info("iteration %d: fit %.2f s, optimizer %.2f s, candidates and ranking %.2f s; %d candidates; "
                 "%d optimizer points decoded to an evaluated architecture", iteration, t1 - t0, t2 - t1, t3 - t2,
                 candidates, repeats)

    def inputs(self, archs: list[Arch]) -> tuple[torch.Tensor, torch.Tensor]:
        """Latent codes (``n x d``) and GP inputs (``n x d'``, :meth:`gp_inputs`) of ``archs``."""
        z = self.latent.encode(archs)
        return z, self.gp_inputs(archs, z)

    def gp_inputs(self, archs: list[Arch], z: torch.Tensor | None = None) -> torch.Tensor:
        """GP inputs (``n x d'``), per ``search.surrogate_inputs``: the latent codes ``z``
        (``latent``), the codes then the one-hot choices (``latent_one_hot``), the one-hot
        choices then the path encoding (``one_hot_paths``), or the one-hot choices, the live
        one-hot choices (in a space with dead choices), the path encoding and, with
        ``search.quality_proxy``, the proxy score last (``per_objective``). ``archs`` are
        encoded (when ``z`` is not given) only for the first two: a BO step's candidates need
        no VAE pass otherwise."""
        mode = self.config.search.surrogate_inputs
        if mode.startswith("latent"):
            z = self.latent.encode(archs) if z is None else z
            if mode == "latent":
                return z
            return torch.cat([z, torch.tensor([self.space.one_hot(a) for a in archs], dtype=z.dtype)], dim=-1)
        live = mode == "per_objective" and self.space.dead_choices
        x = torch.tensor([self.space.one_hot(a) + (self.space.live_one_hot(a) if live else [])
                          + self.space.path_encoding(a) for a in archs], dtype=torch.float64)
        return x if self.proxy is None else torch.cat([x, self.proxy(archs)], dim=-1)

    def _fit(self, x: torch.Tensor, y: torch.Tensor, focus: bool = False):
        """Fits the GP on inputs from :meth:`gp_inputs`, warm-started from the previous fit of the
        same kind of step (a focus step's outcomes, shaped around a stricter reference, and another
        step's standardize differently, so one's hyperparameters are a poor start for the other). The input box is
        the latent box for the codes, [0, 1] for every one-hot and path-encoding entry, and the observed
        range for the proxy score."""
        latent = self.bounds if self.config.search.surrogate_inputs.startswith("latent") else self.bounds[:, :0]
        proxy = torch.empty(2, 0, dtype=x.dtype)
        if self.proxy is not None:
            low = x[:, -1].min()
            proxy = torch.stack([low, x[:, -1].max().clamp_min(low + 1e-6)]).unsqueeze(-1)
        unit = unit_box(x.shape[-1] - latent.shape[-1] - proxy.shape[-1], self.bounds.dtype)
        features = self._features(x.shape[-1], focus)
        trend = None
        if features is not None and self.proxy is not None and self.config.search.quality_proxy_as == "mean":
            trend = [columns[-1] == x.shape[-1] - 1 for columns in features]
        model = fit_gp(x, y, torch.cat([latent, unit, proxy], dim=-1), warm_start=self._gp_state.get(focus),
                       features=features, trend=trend)
        self._gp_state[focus] = hyperparameters(model)
        return model

    def _features(self, width: int, focus: bool = False) -> list[list[int]] | None:
        """Per objective, the columns of the ``width`` GP inputs of :meth:`gp_inputs` its GP sees
        under ``per_objective`` (see :class:`mobo.config.SearchSettings`): the one-hot and live
        one-hot choices for a cost, the live one-hot choices, the path encoding and the proxy
        score (with ``search.quality_proxy``) for a quality (in a space without dead choices
        the one-hot choices are the live ones); ``None`` otherwise, and in reward mode, whose
        one outcome mixes quality and costs."""
        if self.config.search.surrogate_inputs != "per_objective" or self.reward_mode:
            return None
        hot = len(self.space.one_hot(self.space.sample(random.Random(0))))  # fixed length per space
        live = self.space.dead_choices
        cost, quality = list(range(2 * hot if live else hot)), list(range(hot if live else 0, width))
        steps = self.config.search.quality_proxy_steps
        if self.proxy is not None and steps != "all" and focus != (steps == "focus"):
            quality = quality[:-1]
        return [quality if o.direction == "maximize" else cost for o in self.config.objectives]

    def run(self) -> SearchResult:
        """Runs (or resumes) the search to ``search.budget`` evaluations, with ``search.threads``
        torch threads (the caller's count restored after)."""
        with torch_threads(self.config.search.threads):
            return self._run()

    def _run(self) -> SearchResult:
        s = self.config.search
        done = len(self.history)
        if done:
            log.info("resuming %s at %d/%d evaluations", self.run_dir, done, s.budget)
        bar = tqdm(total=s.budget, initial=done, desc="search", disable=not self.progress, file=sys.stderr,
                   unit="eval")
        result: SearchResult | None = None
        try:
            if self.history.last_iteration <= 0:
                evaluated = self.history.archs
                pending = [a for a in self.initial_design() if self.space.format(a) not in evaluated]
                for arch in pending[: s.budget - len(self.history)]:
                    self._record(self.evaluate(arch, 0), bar)
                result = self._write_results(bar)
            while len(self.history) < s.budget:
                iteration = self.history.last_iteration + 1
                try:
                    batch = self.propose(iteration)
                except SpaceExhausted as err:
                    log.warning("stopping early: %s", err)
                    break
                for arch in batch:
                    self._record(self.evaluate(arch, iteration), bar)
                result = self._write_results(bar)
        finally:
            bar.close()
        # a resumed run that was already finished has written nothing yet
        return result if result is not None else self._write_results(None)

    def _record(self, evaluation: Evaluation, bar: tqdm) -> None:
        self.history.append(evaluation)
        log.info(
            "eval %d (iter %d) %s %s%s", evaluation.index, evaluation.iteration, evaluation.arch,
            json.dumps(evaluation.values), " FAILED " + evaluation.error if evaluation.failed else "",
        )
        bar.update(1)

    def _write_results(self, bar: tqdm | None) -> SearchResult:
        """Rewrites hypervolume.csv, pareto.csv and pareto.json from the history; returns the summary."""
        ref = self.reference()
        trace = hypervolume_trace(self.history.records, self.config.objectives, ref)
        hv = trace[-1][2] if trace else 0.0
        atomic_write_csv(self.run_dir / HYPERVOLUME_FILE, ["iteration", "evaluations", "hypervolume"], trace)
        rows = pareto_rows(self.history.records, self.config, self.cost)
        header = list(rows[0]) if rows else ["index", "iteration", "arch", "key",
                                              *(o.name for o in self.config.objectives)]
        atomic_write_csv(self.run_dir / PARETO_CSV, header, [[row[h] for h in header] for row in rows])
        atomic_write_json(
            self.run_dir / PARETO_JSON,
            {
                "space": self.space.name,
                "objectives": [{"name": o.name, "direction": o.direction, "source": o.source,
                                "at_most": o.at_most, "at_least": o.at_least} for o in self.config.objectives],
                "reference_point": ref,
                "hypervolume": hv,
                "evaluations": len(self.history),
                "front": json_safe(rows),
            },
        )
        if bar is not None:
            bar.set_postfix(hv=f"{hv:.4g}", front=len(rows))
        return SearchResult(self.run_dir, len(self.history), len(rows), hv)
