"""Latent-space quality: reconstruction, validity, uniqueness, novelty."""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch
from tqdm import tqdm

from gvae.data import collate
from gvae.latent import LatentModel
from spaces import Arch


CHUNK = 2000  # architectures decoded at a time (bounds memory; one progress step each)


@torch.no_grad()
def reconstruction(model: LatentModel, archs: Sequence[Arch], progress: bool = False) -> dict[str, float]:
    """Decodes the posterior mean of each architecture and compares.

    Args:
        model: the trained model.
        archs: the architectures (usually held out).
        progress: show a progress bar.

    Returns:
        ``recon_exact``: share whose decoded architecture has the same canonical
        key; ``recon_ops`` and ``recon_edges``: per-element accuracy of the raw
        (argmax) node types and upper-triangle edges against the true graph.
    """
    space = model.space
    c = model.vae.config
    mask = torch.ones(c.max_nodes, c.max_nodes, dtype=torch.bool).triu(1)
    exact = ops_ok = edges_ok = 0  # counts of exact architectures and correct node types and edges
    for start in tqdm(range(0, len(archs), CHUNK), desc="graph VAE: reconstruction", disable=not progress,
                      leave=False):
        chunk = archs[start:start + CHUNK]
        z = model.encode(chunk)
        decoded = model.decode(z)
        exact += sum(space.canonical_key(a) == space.canonical_key(b) for a, b in zip(chunk, decoded))
        node_logits, edge_logits = model.logits(z)
        batch = collate([space.to_graph(a) for a in chunk], c.num_types, c.max_nodes)
        ops_ok += int((node_logits.argmax(-1) == batch.node_target).sum())
        edges_ok += int(((edge_logits[:, mask] > 0).float() == batch.edge_target[:, mask]).sum())
    n = max(len(archs), 1)
    return {"recon_exact": exact / n, "recon_ops": ops_ok / (n * c.max_nodes),
            "recon_edges": edges_ok / (n * int(mask.sum()))}


@torch.no_grad()
def prior_quality(
    model: LatentModel,
    train_archs: Sequence[Arch],
    n_samples: int = 10_000,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, float]:
    """Decodes latent samples drawn around the training posteriors.

    Samples ``z ~ N(m, diag(s^2))`` where ``m`` and ``s`` are the per-dimension
    mean and standard deviation of the training architectures' posterior means.

    Returns:
        ``validity_raw``: share whose argmax decode (no repair) is a valid graph;
        ``validity``: share valid after the space's projection;
        ``uniqueness``: distinct canonical keys among valid decodes / valid decodes;
        ``novelty``: share of valid decodes whose key is not in the training set;
        ``uniqueness_uniform``: the uniqueness that ``n_samples`` uniform draws
        from the space reach (the ceiling set by the space's size).
    """
    space = model.space
    mu = model.encode(train_archs)
    gen = torch.Generator().manual_seed(seed)
    z = mu.mean(0) + mu.std(0) * torch.randn(n_samples, mu.shape[1], generator=gen, dtype=mu.dtype)
    raw: list = []
    decoded: list[Arch] = []
    for start in tqdm(range(0, n_samples, CHUNK), desc="graph VAE: latent samples", disable=not progress,
                      leave=False):
        raw += model.decode_raw(z[start:start + CHUNK])
        decoded += model.decode(z[start:start + CHUNK])
    raw_valid = sum(g is not None and space.is_valid_graph(g) for g in raw)
    valid = [a for a in decoded if space.is_valid_graph(space.to_graph(a))]
    keys = [space.canonical_key(a) for a in valid]
    train_keys = {space.canonical_key(a) for a in train_archs}
    rng = random.Random(seed)
    uniform_keys = {space.canonical_key(space.sample(rng)) for _ in range(n_samples)}
    n_valid = max(len(valid), 1)
    return {
        "validity_raw": raw_valid / n_samples,
        "validity": len(valid) / n_samples,
        "uniqueness": len(set(keys)) / n_valid,
        "novelty": sum(k not in train_keys for k in keys) / n_valid,
        "uniqueness_uniform": len(uniform_keys) / n_samples,
        "n_samples": n_samples,
    }
