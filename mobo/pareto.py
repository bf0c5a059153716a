"""Pareto fronts, hypervolume and the efficiency scores of ELP-NAS (NetScore, Information Density)."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def pareto_mask(y: Tensor, chunk: int = 512) -> Tensor:
    """Non-dominated rows of ``y`` (``n x m``, every column maximized): no other row is at
    least as good in every column and better in one.

    Args:
        y: ``n x m`` values.
        chunk: rows compared against all others at a time (bounds the memory to
            ``chunk x n x m`` booleans).

    Returns:
        ``n`` booleans; duplicates of a non-dominated point are all kept.
    """
    keep = torch.ones(y.shape[0], dtype=torch.bool)
    for start in range(0, y.shape[0], chunk):
        block = y[start : start + chunk].unsqueeze(1)  # b x 1 x m against 1 x n x m
        at_least = (y.unsqueeze(0) >= block).all(dim=-1)
        better = (y.unsqueeze(0) > block).any(dim=-1)
        keep[start : start + chunk] = ~(at_least & better).any(dim=-1)
    return keep


def hypervolume(y: Tensor, ref_point: Tensor) -> float:
    """Hypervolume dominated by ``y`` (``n x m``, maximized) above ``ref_point`` (``m``).

    Points that do not strictly dominate the reference point add nothing.
    """
    # imported here so that reading and plotting a run does not load BoTorch
    from botorch.utils.multi_objective.box_decompositions.dominated import DominatedPartitioning

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
    # in logs: a**2 overflows for an absurd accuracy (a user function's 1e308)
    return 20.0 * (2.0 * math.log10(accuracy) - 0.5 * math.log10(params_m) - 0.5 * math.log10(macs_m))


def information_density(accuracy: float, params_m: float) -> float:
    """Information Density ``a / p``: accuracy (%) per million parameters."""
    return accuracy / params_m if params_m > 0 else math.nan
