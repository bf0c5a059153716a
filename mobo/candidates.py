"""Candidate architectures of a BO step: generators behind one small interface.

A BO step does not trust one latent optimum. It gathers real architectures of
the space from several generators and lets the acquisition rank them
(:mod:`mobo.selection`):

* :class:`LatentTrustRegions`: perturbations of the latent codes of the observed
  Pareto set at several scales (small scales decode to close variants of the best
  architectures found so far);
* :class:`Neighbours`: every architecture one choice (op, input, depth) away from an
  observed Pareto architecture;
* :class:`UniformSamples`: uniform samples of the space (exploration away from the data).

A network whose output cannot depend on its input (:meth:`spaces.SearchSpace.is_constant`)
is never a candidate. Architectures are told apart by their exact string form, not by
the canonical key: on hardware, cells that compute the same function can differ in cost
(an op whose output is never used still runs), so each is its own measurement.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor

from gvae.latent import LatentModel
from spaces import Arch, SearchSpace

# Perturbation scales (share of the latent box width) of the trust regions
# and of the replacement search in random mode.
SCALES = (0.02, 0.05, 0.1, 0.2)
_PERTURBATIONS = 256


class SpaceExhausted(RuntimeError):
    """No architecture of the space is left to evaluate."""


def initial_design(space: SearchSpace, n: int, seed: int) -> list[Arch]:
    """``n`` distinct architectures sampled uniformly (fewer if 100 ``n`` draws find fewer),
    fixed by ``seed``."""
    rng = random.Random(seed)
    archs: dict[str, Arch] = {}
    for _ in range(100 * n):
        arch = space.sample(rng)
        archs.setdefault(space.format(arch), arch)
        if len(archs) == n:
            break
    return list(archs.values())


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


@dataclass(frozen=True)
class CandidateContext:
    """What the candidate generators of one BO step start from.

    Attributes:
        anchors: ``k x d`` latent codes of the observed Pareto set (trust-region centres).
        centres: the architectures whose neighbours join the candidates.
        generator: the step's torch generator (latent perturbations).
        rng: the step's Python RNG (uniform samples).
    """

    anchors: Tensor
    centres: Sequence[Arch]
    generator: torch.Generator
    rng: random.Random


class CandidateGenerator(Protocol):
    """A source of candidate architectures for a BO step (valid, possibly repeated or seen)."""

    def __call__(self, context: CandidateContext) -> Iterable[Arch]: ...


@dataclass
class LatentTrustRegions:
    """Latent perturbations of the observed Pareto set at every scale of :data:`SCALES`,
    decoded (trust regions in a learned latent space, as in LOL-BO, Maus et al. 2022).

    Attributes:
        latent: the graph VAE.
        bounds: ``2 x d`` latent box.
        per_anchor: perturbations per anchor and scale.
    """

    latent: LatentModel
    bounds: Tensor
    per_anchor: int

    def __call__(self, context: CandidateContext) -> Iterable[Arch]:
        if not context.anchors.shape[0] or self.per_anchor <= 0:
            return []
        return self.latent.decode(perturb(context.anchors, self.bounds, self.per_anchor, context.generator))


@dataclass
class Neighbours:
    """Every architecture one choice away from each centre (``space.neighbours``)."""

    space: SearchSpace

    def __call__(self, context: CandidateContext) -> Iterable[Arch]:
        for centre in context.centres:
            yield from self.space.neighbours(centre)


@dataclass
class UniformSamples:
    """``n`` uniform samples of the space."""

    space: SearchSpace
    n: int

    def __call__(self, context: CandidateContext) -> Iterable[Arch]:
        return [self.space.sample(context.rng) for _ in range(self.n)]


def candidate_pool(
    space: SearchSpace, generators: Sequence[CandidateGenerator], context: CandidateContext, seen: set[str]
) -> list[Arch]:
    """Distinct unevaluated candidates of every generator, in generator order, with constant
    networks left out.

    Args:
        space: the search space.
        generators: the step's candidate generators.
        context: what they start from.
        seen: string forms of the architectures evaluated (not modified).

    Returns:
        The candidates (possibly empty when the space is nearly exhausted).
    """
    pool: dict[str, Arch] = {}
    for generate in generators:
        for arch in generate(context):
            text = space.format(arch)
            if text not in seen and text not in pool and not space.is_constant(arch):
                pool[text] = arch
    return list(pool.values())


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
