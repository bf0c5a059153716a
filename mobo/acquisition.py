"""Acquisition functions over the latent space (BoTorch)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.acquisition.logei import qLogNoisyExpectedImprovement
from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
from botorch.acquisition.multi_objective.parego import qLogNParEGO
from botorch.models.model import Model
from botorch.sampling import SobolQMCNormalSampler
from botorch.utils.sampling import sample_simplex
from torch import Tensor

from mobo.config import ObjectiveConfig

Constraint = Callable[[Tensor], Tensor]


def outcome_constraints(objectives: Sequence[ObjectiveConfig]) -> list[Constraint]:
    """BoTorch constraint callables for every ``at_most`` / ``at_least``.

    Outcomes are in maximize form (``sign * value``); a callable is ``<= 0``
    where the constraint holds.
    """
    constraints: list[Constraint] = []
    for i, o in enumerate(objectives):
        if o.at_most is not None:
            constraints.append(lambda y, i=i, s=o.sign, b=o.at_most: s * y[..., i] - b)
        if o.at_least is not None:
            constraints.append(lambda y, i=i, s=o.sign, b=o.at_least: b - s * y[..., i])
    return constraints


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
