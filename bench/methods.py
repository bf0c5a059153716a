"""The methods the benchmark compares, each ``(table, problem, budget, seed, workdir) -> arch strings``.

Every method returns ``budget`` distinct NB201 architecture strings in the
order it evaluated them.

* ``latentnas``: the real ``mobo.search`` loop (``Search``) with table objectives.
* ``random``: uniform sampling without replacement.
* ``nsga2``: pymoo NSGA-II (population 20) on the 6 edge choices as integers
  with rounding repair; duplicates eliminated.
* ``motpe``: Optuna ``TPESampler(multivariate=True)`` with one direction per objective.
* ``onehot-bo``: BoTorch qLogNEHVI on the 30-dimensional one-hot cell encoding
  (continuous relaxation, argmax rounding), no VAE (:class:`OneHotBO`).
* ``pool-bo``: a GP on the VAE latent codes and qLogNEHVI, maximized over the
  encoded pool of all unevaluated cells (arch2vec-style ranking, :class:`PoolBO`).

The BO peers run in the search's own loop (initial design, run directory) with
their own proposer.

The BO peers, like LatentNAS, never evaluate the same cell string twice (two
strings of one canonical key are two table rows with their own latency).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
from botorch.models.model import Model
from botorch.optim import optimize_acqf
from botorch.sampling import SobolQMCNormalSampler
from torch import Tensor

from bench.scoring import Problem
from mobo import config as config_module
from mobo.acquisition import Constraint, outcome_constraints
from mobo.candidates import unseen_sample
from mobo.config import Config
from mobo.loop import Search
from mobo.objectives.table import BenchmarkTable
from mobo.proposer import Proposal, Proposer
from mobo.results import maximize_form
from mobo.selection import select
from mobo.surrogate import fit_gp, hyperparameters, unit_box
from spaces import Arch, get_space
from spaces.nb201 import EDGES, OPS

_NB201 = get_space("nb201")
Method = Callable[[BenchmarkTable, Problem, int, int, Path], list[str]]
ROLE_NAMES = ("accuracy", "latency", "energy")


def search_config(table: BenchmarkTable, problem: Problem, budget: int, seed: int,
                  overrides: Sequence[str] = ()) -> Config:
    """The LatentNAS defaults (``configs/nb201_table.yaml``) pointed at one problem: nothing per problem.

    Args:
        overrides: ``dotted.key=value`` settings (an ablation; never per problem).
    """
    objectives = {}
    for name, column in zip(ROLE_NAMES, problem.columns):
        objectives[name] = {"source": "table", "column": column,
                            "direction": "maximize" if name == "accuracy" else "minimize"}
    return config_module.from_dict(config_module.apply_overrides({
        "name": "bench",
        "seed": seed,
        "table": {"path": str(table.path)},
        "objectives": objectives,
        "search": {"budget": budget},
    }, list(overrides)))


def _run(config: Config, run_dir: Path, proposer: Proposer | None = None) -> list[str]:
    search = Search(config, run_dir, proposer=proposer, progress=False)
    search.run()
    return [r.arch for r in search.history.records]


def qlognehvi(model: Model, x_baseline: Tensor, ref_point: Tensor, constraints: list[Constraint],
              mc_samples: int) -> AcquisitionFunction:
    """BoTorch's qLogNEHVI (Ament et al. 2023) over every outcome (maximized) above ``ref_point``."""
    return qLogNoisyExpectedHypervolumeImprovement(
        model=model, ref_point=ref_point, X_baseline=x_baseline,
        sampler=SobolQMCNormalSampler(torch.Size([mc_samples])), constraints=constraints or None,
        prune_baseline=True,
    )


def latentnas(table: BenchmarkTable, problem: Problem, budget: int, seed: int, workdir: Path,
              overrides: Sequence[str] = ()) -> list[str]:
    return _run(search_config(table, problem, budget, seed, overrides), workdir / "latentnas")


def resolve(name: str, overrides: Sequence[str] = ()) -> tuple[str, Method]:
    """The method called ``name``, with LatentNAS settings overridden for an ablation.

    Returns:
        The name results are filed under (``latentnas[key=value,...]`` when
        overridden) and the method.

    Raises:
        ValueError: for an unknown method, or overrides given to a peer.
    """
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; known: {', '.join(METHODS)}")
    if not overrides:
        return name, METHODS[name]
    if name != "latentnas":
        raise ValueError(f"--set applies to latentnas only, not to {name!r}")
    return f"latentnas[{','.join(overrides)}]", functools.partial(latentnas, overrides=tuple(overrides))


class PoolBO:
    """Proposer: qLogNEHVI of a GP on the latent codes, maximized over the codes of every
    unevaluated cell (greedy, q at a time; arch2vec-style ranking, Yan et al. 2020)."""

    def __init__(self) -> None:
        self.pool: list[Arch] = []
        self.warm: dict[str, Tensor] | None = None

    def propose(self, search: Search, iteration: int, q: int, generator: torch.Generator,
                rng: random.Random) -> Proposal:
        if not self.pool:
            self.pool = list(search.space.enumerate())
            self.texts = [search.space.format(a) for a in self.pool]
            self.codes = search.latent.encode(self.pool)
        good = search.successful()
        x = search.latent.encode([search.space.parse(r.arch) for r in good])
        y = maximize_form(good, search.config.objectives)
        model = fit_gp(x, y, search.bounds, warm_start=self.warm)
        self.warm = hyperparameters(model)
        acq = qlognehvi(model, x, search.reference_tensor(), outcome_constraints(search.config.objectives),
                        search.config.search.mc_samples)
        taken = search.history.archs
        free = [i for i, text in enumerate(self.texts) if text not in taken]
        return Proposal([self.pool[free[i]] for i in select(acq, self.codes[free], q)])


def pool_bo(table: BenchmarkTable, problem: Problem, budget: int, seed: int, workdir: Path) -> list[str]:
    return _run(search_config(table, problem, budget, seed), workdir / "pool-bo", PoolBO())


def one_hot(archs: list) -> torch.Tensor:
    """``n x 30`` one-hot encoding of NB201 cells (6 edges x 5 ops, edge-major)."""
    return torch.tensor([_NB201.one_hot(a) for a in archs], dtype=torch.float64)


# optimize_acqf settings of a plain BoTorch user (BoTorch's tutorials use a few restarts and ~100 raw samples).
_ONEHOT_RESTARTS = 4
_ONEHOT_RAW_SAMPLES = 128
_ONEHOT_MAXITER = 30


class OneHotBO:
    """Proposer: qLogNEHVI on the one-hot encoding, maximized by ``optimize_acqf`` over its
    continuous relaxation, argmax per edge; no VAE."""

    def propose(self, search: Search, iteration: int, q: int, generator: torch.Generator,
                rng: random.Random) -> Proposal:
        good = search.successful()
        x = one_hot([search.space.parse(r.arch) for r in good])
        y = maximize_form(good, search.config.objectives)
        bounds = unit_box(x.shape[1])
        acq = qlognehvi(fit_gp(x, y, bounds), x, search.reference_tensor(),
                        outcome_constraints(search.config.objectives), search.config.search.mc_samples)
        z, _ = optimize_acqf(acq, bounds=bounds, q=q, num_restarts=_ONEHOT_RESTARTS, raw_samples=_ONEHOT_RAW_SAMPLES,
                             sequential=True, options={"batch_limit": 64, "maxiter": _ONEHOT_MAXITER})
        taken = search.history.archs
        chosen = []
        for point in z:
            arch = tuple(OPS[int(i)] for i in point.view(len(EDGES), len(OPS)).argmax(dim=-1))
            if search.space.format(arch) in taken:  # a repeat: the user falls back to a random cell
                arch = unseen_sample(search.space, taken, rng)
            chosen.append(arch)
            taken.add(search.space.format(arch))
        return Proposal(chosen)


def onehot_bo(table: BenchmarkTable, problem: Problem, budget: int, seed: int, workdir: Path) -> list[str]:
    return _run(search_config(table, problem, budget, seed), workdir / "onehot-bo", OneHotBO())


def random_search(table: BenchmarkTable, problem: Problem, budget: int, seed: int, workdir: Path) -> list[str]:
    return random.Random(seed).sample(list(table.archs), budget)


def _values(table: BenchmarkTable, problem: Problem, arch: str) -> list[float]:
    return [table.value(arch, c) for c in problem.columns]


def _arch_string(ops: list[str]) -> str:
    return _NB201.format(tuple(ops))


class _Done(Exception):
    pass


def nsga2(table: BenchmarkTable, problem: Problem, budget: int, seed: int, workdir: Path) -> list[str]:
    import numpy as np
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem as PymooProblem
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling
    from pymoo.optimize import minimize

    seen: list[str] = []
    known: set[str] = set()
    signs = np.array([-1.0] + [1.0] * (len(problem.columns) - 1))  # pymoo minimizes

    class Cells(PymooProblem):
        def __init__(self) -> None:
            super().__init__(n_var=len(EDGES), n_obj=len(problem.columns), xl=0, xu=len(OPS) - 1, vtype=int)

        def _evaluate(self, x, out, *args, **kwargs):
            rows = []
            for genes in np.asarray(x).round().astype(int):
                arch = _arch_string([OPS[g] for g in genes])
                if arch not in known:
                    if len(seen) == budget:
                        raise _Done
                    known.add(arch)
                    seen.append(arch)
                rows.append(np.array(_values(table, problem, arch)) * signs)
            out["F"] = np.array(rows)

    algorithm = NSGA2(
        pop_size=20,
        sampling=IntegerRandomSampling(),
        crossover=SBX(prob=1.0, eta=3.0, vtype=float, repair=RoundingRepair()),
        mutation=PM(prob=1.0, eta=3.0, vtype=float, repair=RoundingRepair()),
        eliminate_duplicates=True,
    )
    try:
        minimize(Cells(), algorithm, ("n_gen", 100 * budget), seed=seed, verbose=False)
    except _Done:
        pass
    return seen


def motpe(table: BenchmarkTable, problem: Problem, budget: int, seed: int, workdir: Path) -> list[str]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(multivariate=True, seed=seed)
    directions = ["maximize"] + ["minimize"] * (len(problem.columns) - 1)
    study = optuna.create_study(directions=directions, sampler=sampler)
    seen: list[str] = []
    known: set[str] = set()
    for _ in range(50 * budget):
        trial = study.ask()
        arch = _arch_string([trial.suggest_categorical(f"edge{k}", list(OPS)) for k in range(len(EDGES))])
        study.tell(trial, _values(table, problem, arch))
        if arch not in known:
            known.add(arch)
            seen.append(arch)
            if len(seen) == budget:
                break
    return seen


METHODS: dict[str, Method] = {
    "latentnas": latentnas,
    "random": random_search,
    "nsga2": nsga2,
    "motpe": motpe,
    "onehot-bo": onehot_bo,
    "pool-bo": pool_bo,
}
