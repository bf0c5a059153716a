"""From acquisition to architectures: candidates decoded from the latent space, ranked by the acquisition.

A BO step does not trust one latent optimum. It gathers candidate
architectures from three sources, all decoded or sampled as real
architectures of the space:

* latent trust regions: random perturbations of the latent codes of the
  observed Pareto set, at several scales (small scales decode to close
  variants of the best architectures found so far);
* the neighbours of the observed Pareto architectures: every architecture
  one choice (op, input, depth) away, when ``search.neighbour_candidates``;
* the acquisition's own optima in the latent box (``optimize_acqf``), with
  small perturbations, when ``search.num_restarts`` > 0;
* uniform samples of the space (exploration away from the data).

A network whose output cannot depend on its input
(:meth:`spaces.SearchSpace.is_constant`) is never a candidate. The ``q``
picks are made greedily by the acquisition at the candidates' GP inputs
(:meth:`mobo.loop.Search.gp_inputs`: their codes encoded again, or their
encodings), earlier picks pending and drawn first in each batch (every
candidate is scored against the same draws of them, :func:`select`): the GP
scores the very inputs it will later be trained on.

Architectures are told apart by their exact string form, not by the
canonical key: on hardware, cells that compute the same function can differ in
cost (an op whose output is never used still runs), so each is its own
measurement.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
from botorch.optim import optimize_acqf
from torch import Tensor

from gvae.latent import LatentModel
from mobo.acquisition import MeasuredEHVI
from spaces import Arch, SearchSpace

# Perturbation scales (share of the latent box width) of the trust regions
# and of the replacement search in random mode.
SCALES = (0.02, 0.05, 0.1, 0.2)
_PERTURBATIONS = 256
# L-BFGS-B iterations per optimizer restart. Measured on NB201 latents (100
# points, q=4): 25 iterations reach the same joint qLogNEHVI value as 200 (8.43
# vs 8.41) in 2.4 s instead of 5.4 s; further iterations polish noise.
_LBFGS_MAXITER = 30


class SpaceExhausted(RuntimeError):
    """No architecture of the space is left to evaluate."""


def optimize(
    acq: AcquisitionFunction | list[AcquisitionFunction],
    bounds: Tensor,
    q: int,
    num_restarts: int,
    raw_samples: int,
) -> Tensor:
    """Maximizes the acquisition over a box with sequential greedy selection.

    Args:
        acq: one acquisition function (``q`` candidates chosen greedily), or a
            list of them (one candidate each, as for qLogNParEGO).
        bounds: ``2 x d`` box.

    Returns:
        ``q x d`` candidates.
    """
    options = {"batch_limit": 64, "maxiter": _LBFGS_MAXITER}
    if isinstance(acq, list) and len(acq) > 1:
        # BoTorch validates acq_function even when a sequence is given, so pass both.
        z, _ = optimize_acqf(
            acq[0], bounds=bounds, q=len(acq), num_restarts=num_restarts, raw_samples=raw_samples,
            sequential=True, acq_function_sequence=acq, options=options,
        )
        return z
    if isinstance(acq, list):
        acq = acq[0]
    z, _ = optimize_acqf(
        acq, bounds=bounds, q=q, num_restarts=num_restarts, raw_samples=raw_samples, sequential=True, options=options
    )
    return z


def perturb(z: Tensor, bounds: Tensor, per_point: int, generator: torch.Generator) -> Tensor:
    """Gaussian clouds around each of ``z`` (``k x d``) at every scale of :data:`SCALES`.

    Returns:
        ``(k * per_point * len(SCALES)) x d`` points, clipped to ``bounds``.
    """
    k, d = z.shape
    width = bounds[1] - bounds[0]
    clouds = []
    for scale in SCALES:
        noise = torch.randn(k, per_point, d, generator=generator, dtype=z.dtype)
        clouds.append((z.unsqueeze(1) + scale * width * noise).reshape(-1, d))
    return torch.minimum(torch.maximum(torch.cat(clouds), bounds[0]), bounds[1])


def candidate_pool(
    latent: LatentModel,
    anchors: Tensor,
    optima: Tensor | None,
    bounds: Tensor,
    seen: set[str],
    local: int,
    n_random: int,
    generator: torch.Generator,
    rng: random.Random,
    neighbours_of: Sequence[Arch] = (),
) -> list[Arch]:
    """Distinct unevaluated architectures from the trust regions, the neighbours, the optimizer and uniform samples
    (constant networks left out).

    Args:
        anchors: ``k x d`` latent codes of the observed Pareto set (trust-region centres).
        optima: ``q x d`` acquisition optima in the latent box, or ``None``.
        seen: string forms of the architectures evaluated (not modified).
        local: perturbations per anchor and scale.
        n_random: uniform samples of the space.
        neighbours_of: architectures whose one-choice neighbours join the candidates.

    Returns:
        The candidates (possibly empty when the space is nearly exhausted).
    """
    space = latent.space
    pool: dict[str, Arch] = {}

    def add(arch: Arch) -> None:
        text = space.format(arch)
        if text not in seen and text not in pool and not space.is_constant(arch):
            pool[text] = arch

    if anchors.shape[0] and local > 0:
        for arch in latent.decode(perturb(anchors, bounds, local, generator)):
            add(arch)
    for centre in neighbours_of:
        for arch in space.neighbours(centre):
            add(arch)
    if optima is not None:
        for arch in latent.decode(torch.cat([optima, perturb(optima, bounds, max(1, local // 4), generator)])):
            add(arch)
    for _ in range(n_random):
        add(space.sample(rng))
    return list(pool.values())


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
    baseline (it folds them into ``X_baseline``), and the analytic :class:`MeasuredEHVI`
    counts them at their means; the other MC acquisitions append them *after* each candidate."""
    return isinstance(acq, (qLogNoisyExpectedHypervolumeImprovement, MeasuredEHVI))


def select(
    acq: AcquisitionFunction | list[AcquisitionFunction], codes: Tensor, q: int, rescore: int | None = None
) -> list[int]:
    """Greedy batch selection over a finite set of candidates.

    Each pick after the first is scored jointly with the earlier ones, which come first in
    its batch: with quasi-MC base samples shared across the batch, the earlier picks' draws
    are then the same for every candidate, and candidates differ only by what they add
    beside them. BoTorch's ``set_X_pending`` appends the pending points after the candidate
    instead, so each candidate re-draws them, and the noise of that re-draw can outweigh what
    the candidates add (in three NB201 runs a full rescoring then chose a candidate ranked
    737th to 1,340th alone in 3 of 60 BO steps; with the earlier picks first, in none). It
    is kept only for an acquisition that takes pending points itself
    (:func:`takes_pending_itself`).

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
        Indices of the ``q`` picks in order; each is chosen with the earlier ones pending.
    """
    acqs = acq if isinstance(acq, list) else [acq]
    chosen: list[int] = []
    alone: Tensor | None = None
    for pick in range(min(q, codes.shape[0])):
        f = acqs[pick % len(acqs)]
        pending: Tensor | None = codes[chosen] if chosen else None
        if takes_pending_itself(f):
            f.set_X_pending(pending)
            pending = None
        if alone is None or rescore is None or len(acqs) > 1 or rescore >= codes.shape[0] - len(chosen):
            values = acquisition_values(f, codes, pending=pending)
        else:
            ranked = alone.clone()
            ranked[chosen] = -torch.inf
            # sorted indices keep the candidates' order, so ties break as over all of them
            keep = ranked.argsort(descending=True, stable=True)[:rescore].sort().values
            values = torch.full_like(alone, -torch.inf)
            values[keep] = acquisition_values(f, codes[keep], pending=pending)
        if pick == 0:
            alone = values.clone()
        values[chosen] = -torch.inf
        chosen.append(int(values.argmax()))
    for f in acqs:
        f.set_X_pending(None)
    return chosen


def decode_distinct(
    latent: LatentModel,
    z: Tensor,
    bounds: Tensor,
    seen: set[str],
    generator: torch.Generator,
    rng: random.Random,
) -> tuple[list[Arch], int]:
    """Decodes candidates with no acquisition to rank them (random search in the latent box).

    A candidate that decodes to a seen or already chosen architecture is
    replaced by the first new decoding among random perturbations of its latent
    point (growing scales), else by a uniform sample of the space not yet seen.

    Returns:
        The architectures and the number of candidates that were replaced.

    Raises:
        SpaceExhausted: when no unseen architecture can be found.
    """
    space = latent.space
    taken = set(seen)
    chosen: list[Arch] = []
    replaced = 0
    for point in z:
        arch = latent.decode(point[None])[0]
        if space.format(arch) in taken:
            replaced += 1
            arch = _nearby(latent, point, bounds, taken, generator) or unseen_sample(space, taken, rng)
        chosen.append(arch)
        taken.add(space.format(arch))
    return chosen, replaced


def _nearby(
    latent: LatentModel, point: Tensor, bounds: Tensor, taken: set[str], generator: torch.Generator
) -> Arch | None:
    for arch in latent.decode(perturb(point[None], bounds, _PERTURBATIONS // len(SCALES), generator)):
        if latent.space.format(arch) not in taken:
            return arch
    return None


def unseen_sample(space: SearchSpace, taken: set[str], rng: random.Random, tries: int = 10_000) -> Arch:
    """A uniform sample of ``space`` whose string form is not in ``taken``.

    Raises:
        SpaceExhausted: when ``tries`` samples found none.
    """
    for _ in range(tries):
        arch = space.sample(rng)
        if space.format(arch) not in taken:
            return arch
    raise SpaceExhausted(f"no unevaluated architecture found in {tries} samples of space {space.name!r}")
