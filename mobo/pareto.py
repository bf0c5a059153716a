"""Pareto fronts, hypervolume and the efficiency scores of ELP-NAS (NetScore, Information Density)."""

from __future__ import annotations

import math

import torch
from botorch.utils.multi_objective.box_decompositions.dominated import DominatedPartitioning
from botorch.utils.multi_objective.pareto import is_non_dominated
from torch import Tensor


def pareto_mask(y: Tensor) -> Tensor:
    """Non-dominated rows of ``y`` (``n x m``, every column maximized).

    Returns:
        ``n`` booleans; duplicates of a non-dominated point are all kept.
    """
    if y.shape[0] == 0:
        return torch.zeros(0, dtype=torch.bool)
    return is_non_dominated(y, deduplicate=False)


def hypervolume(y: Tensor, ref_point: Tensor) -> float:
    """Hypervolume dominated by ``y`` (``n x m``, maximized) above ``ref_point`` (``m``).

    Points that do not strictly dominate the reference point add nothing.
    """
    y = y.to(torch.float64)
    ref = ref_point.to(torch.float64)
    y = y[(y > ref).all(dim=-1)]
    if y.shape[0] == 0:
        return 0.0
    return float(DominatedPartitioning(ref_point=ref, Y=y).compute_hypervolume())


def netscore(accuracy: float, params_m: float, macs_m: float) -> float:
    """NetScore ``Omega = 20 log10(a^2 / (sqrt(p) * sqrt(m)))`` (Wong 2018, as used by ELP-NAS).

    Args:
        accuracy: top-1 accuracy (%).
        params_m: parameters (millions).
        macs_m: multiply-accumulates of one inference (millions).
    """
    if accuracy <= 0 or params_m <= 0 or macs_m <= 0:
        return math.nan
    return 20.0 * math.log10(accuracy**2 / (math.sqrt(params_m) * math.sqrt(macs_m)))


def information_density(accuracy: float, params_m: float) -> float:
    """Information Density ``a / p``: accuracy (%) per million parameters."""
    return accuracy / params_m if params_m > 0 else math.nan
