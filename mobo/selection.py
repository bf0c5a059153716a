"""Greedy selection of a BO step's ``q`` picks among finite candidates, by the acquisition."""

from __future__ import annotations

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
from torch import Tensor


def acquisition_values(
    acq: AcquisitionFunction, codes: Tensor, chunk: int = 1024, pending: Tensor | None = None
) -> Tensor:
    """``acq`` at each of ``codes`` (``n x d``) as its own batch, ``chunk`` points per call
    (bounds the memory of the MC samples).

    Args:
        pending: ``k x d`` points placed *before* each candidate in its batch (``q = k + 1``),
            so the candidate's outcomes are drawn given theirs and their draws are the same
            for every candidate (see :func:`select`).

    Returns:
        ``n`` acquisition values.
    """
    with torch.no_grad():
        values = []
        for k in range(0, len(codes), chunk):
            x = codes[k : k + chunk].unsqueeze(1)
            if pending is not None and len(pending):
                x = torch.cat([pending.expand(len(x), -1, -1), x], dim=1)
            values.append(acq(x))
        return torch.cat(values)


def takes_pending_itself(acq: AcquisitionFunction) -> bool:
    """Whether ``acq`` takes its pending points itself: qLogNEHVI draws them once, with its
    baseline (it folds them into ``X_baseline``); the other MC acquisitions append them
    *after* each candidate."""
    return isinstance(acq, qLogNoisyExpectedHypervolumeImprovement)


def select(
    acq: AcquisitionFunction | list[AcquisitionFunction],
    codes: Tensor,
    q: int,
    rescore: int | None = None,
) -> list[int]:
    """Greedy batch selection over a finite set of candidates.

    Each pick after the first is scored jointly with the earlier ones, which come first in
    its batch: with quasi-MC base samples shared across the batch, the earlier picks' draws
    are then the same for every candidate, and candidates differ only by what they add
    beside them. BoTorch's ``set_X_pending`` appends the pending points after the candidate
    instead, so each candidate re-draws them, and the noise of that re-draw can outweigh
    what the candidates add (``docs/decisions/0005-batch-selection.md``). It is kept only
    for an acquisition that takes pending points itself (:func:`takes_pending_itself`).

    Args:
        acq: the acquisition, or one per pick (qLogNParEGO, cycled).
        codes: ``n x d`` candidate inputs of the GP.
        q: picks (at most ``n``).
        rescore: with a single acquisition, each pick after the first is chosen among the
            ``rescore`` candidates not yet picked whose value *alone* (the first pick's
            values) is highest; ``None`` rescores all ``n``. In expectation a point adds to
            a set at most what it adds alone (the hypervolume it adds shrinks as others are
            added), so a candidate that is weak alone stays weak beside the earlier picks;
            skipping those saves most of a later pick's cost, the joint posteriors over each
            candidate and the earlier picks.

    Returns:
        Indices of the ``q`` new picks in order; each is chosen with the earlier ones pending.
    """
    acqs = acq if isinstance(acq, list) else [acq]
    chosen: list[int] = []
    alone: Tensor | None = None
    for pick in range(min(q, codes.shape[0])):
        f = acqs[pick % len(acqs)]
        earlier: Tensor | None = codes[chosen] if chosen else None
        if takes_pending_itself(f):
            f.set_X_pending(earlier)
            earlier = None
        if alone is None or rescore is None or len(acqs) > 1 or rescore >= codes.shape[0] - len(chosen):
            values = acquisition_values(f, codes, pending=earlier)
        else:
            ranked = alone.clone()
            ranked[chosen] = -torch.inf
            # sorted indices keep the candidates' order, so ties break as over all of them
            keep = ranked.argsort(descending=True, stable=True)[:rescore].sort().values
            values = torch.full_like(alone, -torch.inf)
            values[keep] = acquisition_values(f, codes[keep], pending=earlier)
        if pick == 0:
            alone = values.clone()
        values[chosen] = -torch.inf
        chosen.append(int(values.argmax()))
    for f in acqs:
        f.set_X_pending(None)
    return chosen
