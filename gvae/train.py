"""Train a graph VAE on the architectures of a space and measure its latent quality.

Usage::

    python -m gvae.train --space nb201 --out DIR [--epochs E --latent-dim D --beta B --seed S]

Writes ``DIR/model.pt`` (weights, hyperparameters, space name) and
``DIR/metrics.json`` (reconstruction, validity, uniqueness, novelty, timing).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from gvae.data import graph_to_data
from gvae.latent import LatentModel
from gvae.metrics import prior_quality, reconstruction
from gvae.model import GraphVAE, GVAEConfig, vae_loss
from gvae.settings import ModelSettings, TrainSettings
from spaces.io import atomic_write_json
from spaces import Arch, SearchSpace, get_space
from spaces.base import GraphCodec, require
from spaces.profile import torch_threads
from torch_geometric.data import Batch

# torch orders its float sums by the thread count, and training amplifies a last-bit
# difference (30 epochs on NB201: weights up to 1.1 apart between 1 and 2 threads), so
# training always uses one count: one seed then gives one model on every machine.
TRAIN_THREADS = 1


def dataset(space: SearchSpace, max_archs: int, seed: int) -> list[Arch]:
    """All architectures of a finite space, else ``max_archs`` uniform samples."""
    if space.size is not None and space.size <= max_archs:
        return list(space.enumerate())
    rng = random.Random(seed)
    return [space.sample(rng) for _ in range(max_archs)]


def split(archs: list[Arch], test_fraction: float, seed: int) -> tuple[list[Arch], list[Arch]]:
    """Shuffles with ``seed`` and returns ``(train, test)``."""
    order = list(range(len(archs)))
    random.Random(seed).shuffle(order)
    n_test = int(round(len(archs) * test_fraction))
    return [archs[i] for i in order[n_test:]], [archs[i] for i in order[:n_test]]


def fit(
    space: SearchSpace,
    train_archs: list[Arch],
    model: ModelSettings = ModelSettings(),
    config: TrainSettings = TrainSettings(),
    progress: bool = True,
) -> LatentModel:
    """Trains a graph VAE on ``train_archs`` (no labels), with :data:`TRAIN_THREADS` torch
    threads whatever the caller's count (both restored after, the global RNG too).

    Args:
        space: the search space (its node vocabulary and largest graph size the VAE's).
        train_archs: the architectures to embed.
        model: the VAE's architecture.
        config: the training settings.
        progress: show a progress bar.

    Returns:
        The trained model bound to ``space``.
    """
    with torch.random.fork_rng():
        torch.manual_seed(config.seed)
        return _fit(space, train_archs, model, config, progress)


def _fit(
    space: SearchSpace, train_archs: list[Arch], model: ModelSettings, config: TrainSettings, progress: bool
) -> LatentModel:
    require(space, GraphCodec, "a graph VAE")
    gvae_config = GVAEConfig(num_types=len(space.node_types), max_nodes=space.max_nodes, **asdict(model))
    vae = GraphVAE(gvae_config)
    data = [graph_to_data(space.to_graph(a), gvae_config.num_types, gvae_config.max_nodes) for a in train_archs]
    optimizer = torch.optim.Adam(vae.parameters(), lr=config.lr)
    steps = config.epochs * ((len(data) + config.batch_size - 1) // config.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=max(steps, 1))
    gen = torch.Generator().manual_seed(config.seed)
    with torch_threads(TRAIN_THREADS):
        bar = tqdm(range(config.epochs), desc=f"gvae[{space.name}]", disable=not progress, file=sys.stderr)
        for _ in bar:
            vae.train()
            order = torch.randperm(len(data), generator=gen).tolist()
            total = 0.0
            for start in range(0, len(order), config.batch_size):
                batch = Batch.from_data_list([data[i] for i in order[start : start + config.batch_size]])
                loss, parts = vae_loss(vae, batch, config.beta)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
                total += loss.item() * batch.num_graphs
            bar.set_postfix(loss=f"{total / len(data):.4f}", kl=f"{parts['kl']:.1f}")
    info = {"model": asdict(model), "train": asdict(config), "n_train": len(train_archs)}
    return LatentModel(space, vae, info)


def train_and_evaluate(
    space: SearchSpace,
    model: ModelSettings = ModelSettings(),
    config: TrainSettings = TrainSettings(),
    n_samples: int = 10_000,
    progress: bool = True,
) -> tuple[LatentModel, dict[str, Any]]:
    """Trains on a 90/10 split (by default) and measures the latent quality.

    Returns:
        The model and its metrics (see ``gvae.metrics``), with ``train_seconds``,
        ``epochs``, ``latent_dim``, ``n_train``, ``n_test``.
    """
    archs = dataset(space, config.max_archs, config.seed)
    train_archs, test_archs = split(archs, config.test_fraction, config.seed)
    start = time.perf_counter()
    latent = fit(space, train_archs, model, config, progress=progress)
    seconds = time.perf_counter() - start
    if progress:
        tqdm.write(f"graph VAE: trained in {seconds:.0f} s; measuring its quality (reconstruction of "
                   f"{len(test_archs or train_archs):,} architectures, {n_samples:,} latent samples)", file=sys.stderr)
    metrics: dict[str, Any] = {"space": space.name}
    recon = reconstruction(latent, test_archs if test_archs else train_archs, progress=progress)
    metrics["recon_exact"] = recon["recon_exact"]
    metrics["recon_per_element"] = {"ops": recon["recon_ops"], "edges": recon["recon_edges"]}
    metrics.update(prior_quality(latent, train_archs, n_samples=n_samples, seed=config.seed, progress=progress))
    metrics.update(
        train_seconds=round(seconds, 2),
        epochs=config.epochs,
        latent_dim=model.latent_dim,
        beta=config.beta,
        n_train=len(train_archs),
        n_test=len(test_archs),
        torch_threads=TRAIN_THREADS,
    )
    latent.info["metrics"] = metrics
    return latent, metrics


def main(argv: list[str] | None = None) -> int:
    defaults, model_defaults = TrainSettings(), ModelSettings()
    parser = argparse.ArgumentParser(prog="python -m gvae.train", description=__doc__.split("\n")[0])
    parser.add_argument("--space", required=True, help="search space name, e.g. nb201")
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--latent-dim", type=int, default=model_defaults.latent_dim)
    parser.add_argument("--beta", type=float, default=defaults.beta)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--max-archs", type=int, default=defaults.max_archs)
    parser.add_argument("--samples", type=int, default=10_000, help="latent samples for validity/uniqueness")
    args = parser.parse_args(argv)
    try:
        space = get_space(args.space)
    except ValueError as err:
        parser.error(str(err))
    try:
        model_settings = ModelSettings(latent_dim=args.latent_dim)
        config = TrainSettings(epochs=args.epochs, beta=args.beta, seed=args.seed, max_archs=args.max_archs)
    except ValueError as err:
        parser.error(str(err))
    model, metrics = train_and_evaluate(space, model_settings, config, n_samples=args.samples)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out / "model.pt")
    atomic_write_json(args.out / "metrics.json", metrics)
    for key, value in metrics.items():
        print(f"{key}: {value}")
    print(f"wrote {args.out / 'model.pt'} and {args.out / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
