"""The latent space a search runs in: the graph VAE (loaded or trained and cached) and its box."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import random
import sys
from pathlib import Path

import torch
from torch import Tensor
from tqdm import tqdm

from gvae.latent import LatentModel
from gvae.train import TRAIN_THREADS, train_and_evaluate
from mobo.config import Config, GVAESettings
from mobo.rundir import RunDir
from spaces.io import atomic_write_json, file_lock
from spaces import SearchSpace

log = logging.getLogger("latentnas")


def cache_dir(space: SearchSpace, settings: GVAESettings, output_root: Path) -> Path:
    """Where the model trained with ``settings`` on ``space`` is cached."""
    # the thread count is in the key so that models trained before it was pinned are not reused
    key = {"space": space.name, "train_threads": TRAIN_THREADS, **dataclasses.asdict(settings.model),
           **dataclasses.asdict(settings.train)}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    return Path(output_root) / ".cache" / "gvae" / f"{space.name}-{digest[:12]}"


def latent_model(
    space: SearchSpace, settings: GVAESettings, output_root: Path, progress: bool = True
) -> LatentModel:
    """Loads ``settings.checkpoint``, or the cached model, or trains and caches one.

    A trained model's quality metrics are written beside it (``metrics.json``).
    """
    if settings.checkpoint:
        return LatentModel.load(settings.checkpoint, space)
    folder = cache_dir(space, settings, output_root)
    path = folder / "model.pt"
    with file_lock(folder / ".lock", wait=True):  # searches sharing a cold cache train it once
        if path.is_file():
            log.info("graph VAE: cached model %s", path)
            return LatentModel.load(path, space)
        log.info("graph VAE: training on space %s (cache %s)", space.name, folder)
        if progress:  # the one silent wait a first run has: say what it is and that it happens once
            tqdm.write(f"graph VAE: training one for space {space.name!r}, once; later runs with these gvae "
                       f"settings reuse it from {folder}", file=sys.stderr)
        model, metrics = train_and_evaluate(space, settings.model, settings.train, progress=progress)
        atomic_write_json(folder / "metrics.json", metrics)
        model.save(path)
    log.info("graph VAE quality: %s", json.dumps(metrics))
    return model


def run_latent_model(run: RunDir, space: SearchSpace, config: Config, progress: bool = True) -> LatentModel:
    """The run's own copy of the graph VAE (``gvae/model.pt``, so that a resume uses the very
    model the run started with), made on first use from :func:`latent_model`."""
    local = run.file(RunDir.GVAE)
    if local.is_file():
        try:
            return LatentModel.load(local, space)
        except ValueError as err:
            raise ValueError(f"{err}; delete it and resume to rebuild it (the run's gvae settings and seed "
                             f"give the same model)") from None
    model = latent_model(space, config.gvae, Path(config.output_root), progress)
    model.save(local)
    if "metrics" in model.info:
        atomic_write_json(run.file(RunDir.GVAE_METRICS), model.info["metrics"])
    return model


def latent_bounds(model: LatentModel, seed: int, pool_size: int = 20_000, margin: float = 0.05) -> Tensor:
    """A box covering the latent codes of the space's architectures.

    Encodes every architecture of a finite space up to ``pool_size`` of them
    (else a uniform sample of ``pool_size``) and widens the per-dimension
    min/max by ``margin`` of the range on each side.

    Returns:
        ``2 x d`` bounds (float64).
    """
    space = model.space
    if space.size is not None and space.size <= pool_size:
        archs = list(space.enumerate())
    else:
        rng = random.Random(seed)
        archs = [space.sample(rng) for _ in range(pool_size)]
    z = model.encode(archs)
    lo, hi = z.min(dim=0).values, z.max(dim=0).values
    pad = margin * (hi - lo).clamp_min(1e-6)
    return torch.stack([lo - pad, hi + pad])
