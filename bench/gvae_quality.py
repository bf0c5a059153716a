"""Latent-space quality of the graph VAE, median over seeds.

Usage::

    python -m bench.gvae_quality [--space nb201] [--seeds 0 1 2] [--epochs 30] [--latent-dim 16]
        [--max-archs 100000]

Trains on a 90/10 split for each seed and prints every metric of
``metrics.json`` per seed and the median (see ``gvae.metrics``).
"""

from __future__ import annotations

import argparse
import statistics

from gvae.settings import ModelSettings, TrainSettings
from gvae.train import train_and_evaluate
from spaces import get_space

KEYS = ("recon_exact", "validity_raw", "validity", "uniqueness", "uniqueness_uniform", "novelty", "train_seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--space", default="nb201")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=TrainSettings.epochs)
    parser.add_argument("--latent-dim", type=int, default=ModelSettings.latent_dim)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--max-archs", type=int, default=TrainSettings.max_archs,
                        help="train on all architectures of a space this small, else on this many uniform samples")
    args = parser.parse_args()
    space = get_space(args.space)
    rows = []
    for seed in args.seeds:
        config = TrainSettings(epochs=args.epochs, seed=seed, max_archs=args.max_archs)
        _, metrics = train_and_evaluate(space, ModelSettings(latent_dim=args.latent_dim), config,
                                        n_samples=args.samples, progress=False)
        metrics["recon_ops"] = metrics["recon_per_element"]["ops"]
        metrics["recon_edges"] = metrics["recon_per_element"]["edges"]
        rows.append(metrics)
        print(f"seed {seed}: " + ", ".join(f"{k}={metrics[k]:.4g}" for k in (*KEYS, "recon_ops", "recon_edges")),
              flush=True)
    print(f"space {args.space}, n_train {rows[0]['n_train']}, n_test {rows[0]['n_test']}, "
          f"{rows[0]['torch_threads']} torch threads, {args.samples} latent samples")
    for key in (*KEYS, "recon_ops", "recon_edges"):
        print(f"median {key}: {statistics.median(r[key] for r in rows):.4g}")


if __name__ == "__main__":
    main()
