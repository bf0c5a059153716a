"""Acquisition functions over the latent space (BoTorch)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.acquisition.multi_objective import logei as botorch_logei
from botorch.acquisition.multi_objective.analytic import ExpectedHypervolumeImprovement
from botorch.acquisition.objective import PosteriorTransform
from botorch.acquisition.logei import qLogNoisyExpectedImprovement
from botorch.acquisition.multi_objective.logei import (
    qLogExpectedHypervolumeImprovement,
    qLogNoisyExpectedHypervolumeImprovement,
)
from botorch.acquisition.multi_objective.parego import qLogNParEGO
from botorch.models.model import Model
from botorch.posteriors import Posterior
from botorch.sampling import SobolQMCNormalSampler
from botorch.utils.multi_objective.box_decompositions import FastNondominatedPartitioning
from botorch.utils.sampling import sample_simplex
from torch import Tensor

from mobo.config import ObjectiveConfig

Constraint = Callable[[Tensor], Tensor]


class LinearBound(NamedTuple):
    """One ``at_most`` / ``at_least`` as ``slope * y[..., index] + offset <= 0`` on maximize-form
    outcomes ``y`` (``slope`` is +1 or -1)."""

    index: int
    slope: float
    offset: float


def linear_bounds(objectives: Sequence[ObjectiveConfig]) -> list[LinearBound]:
    """Every ``at_most`` / ``at_least`` of ``objectives`` (in outcome order) as a :class:`LinearBound`:
    with ``value = sign * y``, ``value <= b`` is ``sign * y - b <= 0`` and ``value >= b`` is
    ``-sign * y + b <= 0``."""
    bounds: list[LinearBound] = []
    for i, o in enumerate(objectives):
        if o.at_most is not None:
            bounds.append(LinearBound(i, o.sign, -o.at_most))
        if o.at_least is not None:
            bounds.append(LinearBound(i, -o.sign, o.at_least))
    return bounds


def outcome_constraints(objectives: Sequence[ObjectiveConfig]) -> list[Constraint]:
    """BoTorch constraint callables for every ``at_most`` / ``at_least``.

    Outcomes are in maximize form (``sign * value``); a callable is ``<= 0``
    where the constraint holds.
    """
    return [lambda y, b=b: b.slope * y[..., b.index] + b.offset for b in linear_bounds(objectives)]


def qlognehvi(
    model: Model, x_baseline: Tensor, ref_point: Tensor, constraints: list[Constraint], mc_samples: int
) -> AcquisitionFunction:
    """qLogNEHVI over all outcomes (maximized) above ``ref_point`` (``m``)."""
    return qLogNoisyExpectedHypervolumeImprovement(
        model=model,
        ref_point=ref_point,
        X_baseline=x_baseline,
        sampler=SobolQMCNormalSampler(torch.Size([mc_samples])),
        constraints=constraints or None,
        prune_baseline=True,
    )


class MeasuredOutcomes(Model):
    """``model`` whose posterior is that of a new *measurement* (the GP's noise included).

    An evaluation's measured value, training noise and all, is what the front
    keeps; an architecture not yet evaluated may land above or below the
    modelled mean by that noise, and the chance that it lands above is worth
    an evaluation. The wrapped posterior gives it that chance.
    """

    def __init__(self, model: Model) -> None:
        super().__init__()
        self.model = model

    @property
    def num_outputs(self) -> int:
        return self.model.num_outputs

    @property
    def batch_shape(self) -> torch.Size:
        return self.model.batch_shape

    def posterior(self, X: Tensor, output_indices: list[int] | None = None, observation_noise: bool = False,
                  posterior_transform: PosteriorTransform | None = None, **kwargs) -> Posterior:
        """The posterior of a new measurement at ``X`` (``batch x q x d``), whatever
        ``observation_noise`` the caller asks for."""
        return self.model.posterior(X, output_indices=output_indices, observation_noise=True,
                                    posterior_transform=posterior_transform, **kwargs)


def use_uncompiled_log_ehvi() -> None:
    """Keeps BoTorch's qLogEHVI on its PyTorch path, never its JIT-compiled C++ kernel.

    BoTorch 0.18 compiles a fused kernel on the first qLogEHVI of a process (``-march=native``,
    under a lock file in ``~/.cache/torch_extensions``). A process killed while it holds the
    lock leaves the file behind, and every later search then waits on it forever without a
    word; the kernel also needs a C++ compiler, and its first build takes about 25 s. The
    PyTorch path gave the same evaluations on NB201 (BENCHMARKS.md, sixteenth round).
    """
    if hasattr(botorch_logei, "_load_attempted"):  # BoTorch versions without the kernel lack it
        botorch_logei._load_attempted = True
        botorch_logei._C = None


def qlogehvi_measured(
    model: Model, y_front: Tensor, ref_point: Tensor, constraints: list[Constraint], mc_samples: int
) -> AcquisitionFunction:
    """qLogEHVI over the hypervolume of measured values (every outcome maximized).

    Unlike :func:`qlognehvi`, the front a candidate must improve on is the one
    measured (``y_front``, not the GP's smoothed values there), and a candidate's
    outcomes are drawn as a new measurement (:class:`MeasuredOutcomes`).

    Args:
        model: the fitted GP (``m`` outcomes, maximized).
        y_front: ``n x m`` measured outcomes of the feasible evaluations, as the GP was
            fitted on them (maximize form; ``n`` may be 0).
        ref_point: ``m`` reference point (maximize form).
        constraints: :func:`outcome_constraints` of the objectives.
        mc_samples: quasi-MC samples of the candidates' outcomes.

    Returns:
        The acquisition; its value at ``b x q x d`` inputs is ``b`` log expected improvements.
    """
    partitioning = FastNondominatedPartitioning(ref_point=ref_point, Y=y_front)
    use_uncompiled_log_ehvi()
    return qLogExpectedHypervolumeImprovement(
        model=MeasuredOutcomes(model),
        ref_point=ref_point,
        partitioning=partitioning,
        sampler=SobolQMCNormalSampler(torch.Size([mc_samples])),
        constraints=constraints or None,
    )


class MeasuredEHVI(AcquisitionFunction):
    """Exact expected hypervolume improvement of one new measurement, times its chance of feasibility.

    The analytic counterpart of :func:`qlogehvi_measured` for one point at a time: the
    outcomes of independent GPs (one per objective) are independent normals, so the
    expected improvement over the measured front is a sum over the front's hypercells
    (BoTorch's ``ExpectedHypervolumeImprovement``), exact however small, with no draws.
    On NB201 the 32-draw quasi-MC estimate of :func:`qlogehvi_measured` picked the same
    first candidate in 34 of 40 BO steps of two runs, and the two searches were level
    (BENCHMARKS.md, eighteenth round). Outcome constraints multiply it by the probability that each holds
    (independent normals again).

    Args:
        model: the fitted GPs (``m`` outcomes, maximized, independent).
        y_front: ``n x m`` measured outcomes of the feasible evaluations, as the GP was
            fitted on them (maximize form; ``n`` may be 0).
        ref_point: ``m`` reference point (maximize form).
        objectives: the objectives in outcome order (their ``at_most`` / ``at_least``).
    """

    def __init__(self, model: Model, y_front: Tensor, ref_point: Tensor,
                 objectives: Sequence[ObjectiveConfig]) -> None:
        super().__init__(model=MeasuredOutcomes(model))
        self.y_front, self.ref_point = y_front, ref_point
        self.bounds = linear_bounds(objectives)
        self.alone = self.ehvi = self._ehvi(y_front)  # the measured front's, kept for set_X_pending(None)
        self.X_pending: Tensor | None = None  # BoTorch's sequential optimizer reads it first

    def _ehvi(self, y_front: Tensor) -> ExpectedHypervolumeImprovement:
        partitioning = FastNondominatedPartitioning(ref_point=self.ref_point, Y=y_front)
        return ExpectedHypervolumeImprovement(self.model, self.ref_point.tolist(), partitioning)

    def set_X_pending(self, X_pending: Tensor | None = None) -> None:
        """Counts pending points (``k x d``) as measured at their posterior means (a "Kriging
        believer"): the next pick of a batch is scored by what it adds beside them. A pending
        point whose mean breaks a constraint adds nothing to the front."""
        super().set_X_pending(X_pending)
        if X_pending is None or not len(X_pending):
            self.ehvi = self.alone
            return
        with torch.no_grad():
            believed = self.model.posterior(X_pending).mean
        ok = torch.ones(len(believed), dtype=torch.bool)
        for b in self.bounds:
            ok &= b.slope * believed[:, b.index] + b.offset <= 0
        self.ehvi = self._ehvi(torch.cat([self.y_front, believed[ok]]))

    def forward(self, X: Tensor) -> Tensor:
        """Values at ``b x 1 x d`` inputs: ``b`` expected hypervolume improvements."""
        value = self.ehvi(X)
        if not self.bounds:
            return value
        posterior = self.model.posterior(X)
        mean, sd = posterior.mean[..., 0, :], posterior.variance[..., 0, :].clamp_min(1e-18).sqrt()
        normal = torch.distributions.Normal(0.0, 1.0)
        for b in self.bounds:
            # slope * y + offset is normal with mean slope * mean + offset and the same deviation (|slope| = 1)
            value = value * normal.cdf(-(b.slope * mean[..., b.index] + b.offset) / sd[..., b.index])
        return value


def qlogparego_list(
    model: Model, x_baseline: Tensor, num_outcomes: int, constraints: list[Constraint], mc_samples: int, q: int
) -> list[AcquisitionFunction]:
    """``q`` qLogNParEGO functions, each with random simplex weights (one per candidate)."""
    weights = sample_simplex(num_outcomes, n=q, dtype=x_baseline.dtype)
    return [
        qLogNParEGO(
            model=model,
            X_baseline=x_baseline,
            scalarization_weights=w,
            sampler=SobolQMCNormalSampler(torch.Size([mc_samples])),
            constraints=constraints or None,
            prune_baseline=True,
        )
        for w in weights
    ]


def qlognei(model: Model, x_baseline: Tensor, mc_samples: int) -> AcquisitionFunction:
    """qLogNEI of a single maximized outcome (the reward mode)."""
    return qLogNoisyExpectedImprovement(
        model=model,
        X_baseline=x_baseline,
        sampler=SobolQMCNormalSampler(torch.Size([mc_samples])),
        prune_baseline=True,
    )
