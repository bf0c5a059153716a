"""Acquisition functions (BoTorch) and the registry the search picks one from by name.

Every builder takes the same :class:`AcquisitionInputs`, so an acquisition is added by
writing one builder and registering it in :data:`ACQUISITIONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.acquisition.logei import qLogNoisyExpectedImprovement
from botorch.acquisition.multi_objective import logei as botorch_logei
from botorch.acquisition.multi_objective.logei import qLogExpectedHypervolumeImprovement
from botorch.acquisition.objective import PosteriorTransform
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


def satisfies(y: Tensor, objectives: Sequence[ObjectiveConfig]) -> Tensor:
    """Which rows of maximize-form outcomes ``y`` (``n x m``) meet every ``at_most`` /
    ``at_least`` (``n`` booleans)."""
    ok = torch.ones(y.shape[0], dtype=torch.bool)
    for b in linear_bounds(objectives):
        ok &= b.slope * y[:, b.index] + b.offset <= 0
    return ok


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


@contextmanager
def uncompiled_log_ehvi() -> Iterator[None]:
    """Keeps BoTorch's qLogEHVI on its PyTorch path inside the block, never its JIT-compiled
    C++ kernel; BoTorch's own state is restored after.

    BoTorch 0.18 compiles a fused kernel on the first qLogEHVI of a process (``-march=native``,
    under a lock file in ``~/.cache/torch_extensions``). A process killed while it holds the
    lock leaves the file behind, and every later search then waits on it forever without a
    word; the kernel also needs a C++ compiler. See ``docs/decisions/0006-one-thread.md``.
    """
    if not hasattr(botorch_logei, "_load_attempted"):  # BoTorch versions without the kernel lack it
        yield
        return
    saved = botorch_logei._load_attempted, botorch_logei._C
    botorch_logei._load_attempted, botorch_logei._C = True, None
    try:
        yield
    finally:
        botorch_logei._load_attempted, botorch_logei._C = saved


def qlogehvi_measured(
    model: Model, y_front: Tensor, ref_point: Tensor, constraints: list[Constraint], mc_samples: int
) -> AcquisitionFunction:
    """qLogEHVI (Daulton et al. 2020; Ament et al. 2023) over the hypervolume of measured values.

    Unlike qLogNEHVI, the front a candidate must improve on is the one measured
    (``y_front``, not the GP's smoothed values there), and a candidate's outcomes are
    drawn as a new measurement (:class:`MeasuredOutcomes`): among architectures the GP
    cannot tell apart, the chance of a better measurement is worth an evaluation
    (``docs/decisions/0003-measured-ehvi.md``). Call it inside :func:`uncompiled_log_ehvi`.

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
    return qLogExpectedHypervolumeImprovement(
        model=MeasuredOutcomes(model),
        ref_point=ref_point,
        partitioning=partitioning,
        sampler=SobolQMCNormalSampler(torch.Size([mc_samples])),
        constraints=constraints or None,
    )


def qlogparego_list(
    model: Model, x_baseline: Tensor, num_outcomes: int, constraints: list[Constraint], mc_samples: int, q: int
) -> list[AcquisitionFunction]:
    """``q`` qLogNParEGO functions (Knowles 2006; Daulton et al. 2020), each with random simplex
    weights (one per pick), drawn from torch's global generator."""
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


@dataclass(frozen=True)
class AcquisitionInputs:
    """What an acquisition builder gets in a BO step.

    Attributes:
        model: the fitted surrogate (``m`` outcomes, maximized).
        x: ``n x d`` inputs of the evaluated architectures.
        y: ``n x m`` outcomes as the model was fitted on them (maximize form).
        feasible: ``n`` booleans: the evaluation met every constraint.
        ref_point: ``m`` reference point (maximize form).
        objectives: the objectives in outcome order (their constraints).
        mc_samples: quasi-MC samples.
        q: picks of the step.
    """

    model: Model
    x: Tensor
    y: Tensor
    feasible: Tensor
    ref_point: Tensor
    objectives: Sequence[ObjectiveConfig]
    mc_samples: int
    q: int


AcquisitionBuilder = Callable[[AcquisitionInputs], AcquisitionFunction | list[AcquisitionFunction]]

ACQUISITIONS: dict[str, AcquisitionBuilder] = {
    "qlogehvi_measured": lambda a: qlogehvi_measured(
        a.model, a.y[a.feasible], a.ref_point, outcome_constraints(a.objectives), a.mc_samples),
    "qlogparego": lambda a: qlogparego_list(
        a.model, a.x, a.y.shape[-1], outcome_constraints(a.objectives), a.mc_samples, a.q),
}
