"""Proposers: what a BO step proposes, given the search so far.

A proposer is any object with ``propose(search, iteration, q, generator, rng) ->
Proposal``; :class:`LatentBO` is the search's own. A benchmark composes its own
proposer (a different model or candidate set) and hands it to :class:`mobo.loop.Search`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor

from gvae.latent import LatentModel
from mobo.acquisition import ACQUISITIONS, AcquisitionInputs, qlognei, satisfies
from mobo.candidates import (
    CandidateContext,
    LatentTrustRegions,
    Neighbours,
    SpaceExhausted,
    UniformSamples,
    candidate_pool,
    decode_distinct,
    unseen_sample,
)
from mobo.config import Config
from mobo.features import ChoiceFeaturizer
from mobo.history import Evaluation, History
from mobo.pareto import pareto_mask
from mobo.results import maximize_form
from mobo.selection import select
from mobo.steps import SHAPING, StepKind, step_kind
from mobo.surrogate import believe, fit_surrogate, hyperparameters
from spaces import Arch, SearchSpace

# Trust-region centres in reward mode: the best evaluations by reward.
_REWARD_ANCHORS = 5


@dataclass(frozen=True)
class Proposal:
    """A step's picks and what the step cost.

    Attributes:
        archs: the ``q`` (or fewer, near the end of a finite space) new architectures.
        fit_seconds: featurizing, fitting and building the acquisition (s).
        candidate_seconds: generating and ranking the candidates (s).
        repeats: latent points that decoded to an evaluated architecture and were replaced.
        candidates: candidates ranked.
    """

    archs: list[Arch]
    fit_seconds: float = 0.0
    candidate_seconds: float = 0.0
    repeats: int = 0
    candidates: int = 0


class Search(Protocol):
    """What a proposer reads of the search (:class:`mobo.loop.Search` has it)."""

    config: Config
    space: SearchSpace
    latent: LatentModel
    history: History
    reward_mode: bool

    @property
    def bounds(self) -> Tensor:
        """``2 x d`` latent box."""

    def successful(self) -> list[Evaluation]:
        """The evaluations a model can learn from."""

    def reference_tensor(self, focus: bool = False) -> Tensor:
        """The reference point in maximize form (``m``)."""


class Proposer(Protocol):
    """What a BO step proposes: ``q`` new architectures for ``search`` at ``iteration``, from the
    step's random streams; a proposer for ask/tell also takes ``pending``, architectures asked
    and not evaluated yet."""

    def propose(self, search: Search, iteration: int, q: int, generator: torch.Generator,
                rng: random.Random) -> Proposal: ...


def random_latent(search: Search, q: int, generator: torch.Generator, rng: random.Random,
                  pending: Sequence[Arch] = ()) -> Proposal:
    """``q`` uniform points of the latent box, decoded into distinct architectures neither
    evaluated nor pending."""
    start = time.perf_counter()
    lo, hi = search.bounds
    z = lo + (hi - lo) * torch.rand(q, lo.shape[0], generator=generator, dtype=lo.dtype)
    seen = search.history.archs | {search.space.format(a) for a in pending}
    archs, repeats = decode_distinct(search.latent, z, search.bounds, seen, generator, rng)
    return Proposal(archs, 0.0, time.perf_counter() - start, repeats, len(archs))


class LatentBO:
    """The search's BO step: per-objective GPs on the choices of the architectures, an
    acquisition from :data:`mobo.acquisition.ACQUISITIONS`, candidates from latent trust
    regions, neighbours and uniform samples, and greedy selection of the picks.

    Args:
        search: the search it proposes for (its space, latent model and settings).
    """

    def __init__(self, search: Search) -> None:
        s = search.config.search
        self.featurize = ChoiceFeaturizer(search.space)
        self.generators = [LatentTrustRegions(search.latent, search.bounds, s.local_candidates),
                           Neighbours(search.space), UniformSamples(search.space, s.random_candidates)]
        # warm starts per kind of step: a focus step's outcomes are shaped around another
        # reference, so one kind's hyperparameters are a poor start for the other
        self.warm: dict[StepKind, dict[str, Tensor]] = {}

    def state_dict(self) -> dict[str, dict[str, Tensor]]:
        """The GP warm starts per kind of step (what the next proposal depends on besides the
        history and the step's seed)."""
        return {kind.value: state for kind, state in self.warm.items()}

    def load_state_dict(self, state: dict[str, dict[str, Tensor]]) -> None:
        self.warm = {StepKind(kind): dict(s) for kind, s in state.items()}

    def propose(self, search: Search, iteration: int, q: int, generator: torch.Generator,
                rng: random.Random, pending: Sequence[Arch] = ()) -> Proposal:
        s, objectives = search.config.search, search.config.objectives
        good = search.successful()
        kind = step_kind(iteration, s, len(good), search.reward_mode)
        if kind is StepKind.RANDOM:
            return random_latent(search, q, generator, rng, pending)
        start = time.perf_counter()
        archs = [search.space.parse(r.arch) for r in good]
        z = search.latent.encode(archs)
        x, layout = self.featurize(archs)
        x_pending = self.featurize(list(pending))[0] if pending else x[:0]
        if search.reward_mode:
            y = torch.tensor([[r.extra["reward"]] for r in good], dtype=torch.float64)
            fitted_model = fit_surrogate(x, y, layout, None, self.warm.get(kind))
            model, _ = believe(fitted_model, x_pending) if pending else (fitted_model, None)
            acq = qlognei(model, torch.cat([x, x_pending]), s.mc_samples)
            top = y[:, 0].argsort(descending=True)[:_REWARD_ANCHORS]
        else:
            y = maximize_form(good, objectives)
            ref = search.reference_tensor(focus=kind is StepKind.FOCUS)
            y_fit = SHAPING[kind](y, ref, s.outcome_floor)
            fitted_model = fit_surrogate(x, y_fit, layout, objectives, self.warm.get(kind))
            feasible = torch.tensor([r.feasible for r in good])
            model, inputs = fitted_model, AcquisitionInputs(fitted_model, x, y_fit, feasible, ref, objectives,
                                                            s.mc_samples, q)
            if pending:  # believed where they will land, so that the picks go elsewhere
                model, believed = believe(fitted_model, x_pending)
                inputs = AcquisitionInputs(model, torch.cat([x, x_pending]), torch.cat([y_fit, believed]),
                                           torch.cat([feasible, satisfies(believed, objectives)]), ref, objectives,
                                           s.mc_samples, q)
            acq = ACQUISITIONS[s.acquisition](inputs)
            front = pareto_mask(y) & feasible if bool(feasible.any()) else pareto_mask(y)
            top = front.nonzero().squeeze(-1)
        self.warm[kind] = hyperparameters(fitted_model)
        fitted = time.perf_counter()
        centres = [archs[int(i)] for i in top] if s.neighbour_candidates else []
        seen = search.history.archs | {search.space.format(a) for a in pending}
        candidates = candidate_pool(search.space, self.generators, CandidateContext(z[top], centres, generator, rng),
                                    seen)
        try:  # a nearly exhausted space: fill from uniform samples, else go on with fewer than q
            while len(candidates) < q:
                taken = seen | {search.space.format(a) for a in candidates}
                candidates.append(unseen_sample(search.space, taken, rng))
        except SpaceExhausted:
            if not candidates:
                raise
        picks = select(acq, self.featurize(candidates)[0], q, s.rescore_candidates)
        return Proposal([candidates[i] for i in picks], fitted - start, time.perf_counter() - fitted, 0,
                        len(candidates))
