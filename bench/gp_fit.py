"""How well a GP predicts accuracy and latency from an encoding of NB201 cells.

Usage::

    python -m bench.gp_fit --table ../shared/benchmarks/nb201.csv --accuracy acc_cifar10 --latency lat_raspi4_ms
        [--train 100] [--test 2000] [--seeds 0 1 2] [--checkpoint model.pt] [--proxies synflow naswot]

For each seed: fit the search's GP (``mobo.surrogate.fit_gp``) on ``--train``
uniformly sampled cells, predict ``--test`` other cells, and report the
Spearman rank correlation of predicted vs true values, over all held-out cells
and over those in the top quarter of accuracy (where the ROI front is decided),
for the GP inputs: the graph-VAE latent codes (``search.surrogate_inputs:
latent``), the 30-dimensional one-hot encoding, both side by side
(``latent_one_hot``), the 40-dimensional path encoding, the one-hot and path
encodings side by side (``one_hot_paths``), the live one-hot encoding (dead edges
set to ``none``) beside the path encoding (what ``search.surrogate_inputs:
per_objective`` gives the accuracy GP), the same with each ``--proxies`` score
beside them (``live+paths+synflow``, ``live+paths+naswot``: what ``search.quality_proxy``
gives the accuracy GP; scores cached under ``runs/.cache/proxy``; scoring all 15,625
cells the first time takes about 6 minutes for SynFlow, 10 for NASWOT), and
the one-hot and live one-hot encodings side by side (what it gives the latency GP),
and the live one-hot and path inputs fitted as a focus step fits them (each outcome
log-compressed below the training cells' upper quartile, ``live+paths, focus``).
Prints per seed and the medians: Spearman rho, and the root-mean-square error of the
predicted accuracy against the mean accuracy of the cell's canonical-key class over the
held-out top quarter (accuracy points: how far the model is from a perfect model of the
function, the rest of a cell's accuracy being its training noise).
"""

from __future__ import annotations

import argparse
import random
import statistics
from pathlib import Path

import torch
from scipy.stats import spearmanr

from bench.methods import one_hot
from bench.table_ceiling import class_indices, class_statistics
from mobo import config as config_module
from mobo.embedding import latent_bounds, latent_model
from mobo.objectives.proxy import PROXY_KINDS
from mobo.objectives.table import BenchmarkTable
from mobo.proxy_inputs import ProxyInputs, proxy_cache_path
from mobo.surrogate import compress_below_reference, fit_gp, unit_box
from spaces import get_space


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", required=True)
    parser.add_argument("--accuracy", required=True)
    parser.add_argument("--latency", required=True)
    parser.add_argument("--train", type=int, default=100)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--proxies", nargs="*", default=list(PROXY_KINDS), choices=PROXY_KINDS)
    args = parser.parse_args()
    table = BenchmarkTable(args.table)
    space = get_space("nb201")
    settings = config_module.GVAESettings(checkpoint=args.checkpoint)
    model = latent_model(space, settings, Path("runs"), progress=False)
    box = latent_bounds(model, 0)
    archs = list(space.enumerate())
    codes, hot = model.encode(archs), one_hot(archs)
    paths = torch.tensor([space.path_encoding(a) for a in archs], dtype=torch.float64)

    hot_paths = torch.cat([hot, paths], dim=-1)
    live = torch.tensor([space.live_one_hot(a) for a in archs], dtype=torch.float64)
    live_paths, hot_live = torch.cat([live, paths], dim=-1), torch.cat([hot, live], dim=-1)
    inputs = {"latent": (codes, box), "one-hot": (hot, unit_box(hot.shape[-1])),
              "latent+one-hot": (torch.cat([codes, hot], dim=-1), torch.cat([box, unit_box(hot.shape[-1])], dim=-1)),
              "paths": (paths, unit_box(paths.shape[-1])), "one-hot+paths": (hot_paths, unit_box(hot_paths.shape[-1])),
              "live+paths": (live_paths, unit_box(live_paths.shape[-1])),
              "one-hot+live": (hot_live, unit_box(hot_live.shape[-1]))}
    for kind in args.proxies:
        scorer = ProxyInputs(space, proxy_cache_path(space, kind, Path("runs")), kind)
        proxy = scorer(archs)
        scorer.save()
        proxy_box = torch.stack([proxy.min(dim=0).values, proxy.max(dim=0).values])
        inputs[f"live+paths+{kind}"] = (torch.cat([live_paths, proxy], dim=-1),
                                        torch.cat([unit_box(live_paths.shape[-1]), proxy_box], dim=-1))
    y_all = torch.tensor([[table.value(space.format(a), c) for c in (args.accuracy, args.latency)] for a in archs],
                         dtype=torch.float64)
    top_quarter = y_all[:, 0] >= torch.quantile(y_all[:, 0], 0.75)
    class_mean, _ = class_statistics(y_all[:, 0], class_indices([space.canonical_key(a) for a in archs]))
    results: dict[str, list[float]] = {}
    for seed in args.seeds:
        idx = random.Random(seed).sample(range(len(archs)), args.train + args.test)
        tr, te = torch.tensor(idx[: args.train]), torch.tensor(idx[args.train:])
        # a focus step's fit: outcomes below the training cells' upper quartile log-compressed
        y_focus = compress_below_reference(y_all[tr], torch.quantile(y_all[tr], 0.75, dim=0))
        fits = [(name, x, bounds, y_all[tr]) for name, (x, bounds) in inputs.items()]
        fits.append(("live+paths, focus", *inputs["live+paths"], y_focus))
        for name, x, bounds, y_train in fits:
            gp = fit_gp(x[tr], y_train, bounds)
            with torch.no_grad():
                mean = gp.posterior(x[te]).mean
            for subset, keep in (("all", torch.ones(len(te), dtype=torch.bool)), ("top quarter", top_quarter[te])):
                for k, column in enumerate(("accuracy", "latency")):
                    rho = float(spearmanr(mean[keep, k].numpy(), y_all[te[keep], k].numpy()).statistic)
                    results.setdefault(f"{name:18s} {column:8s} {subset} rho", []).append(rho)
                    print(f"seed {seed} {name:18s} {column:8s} {subset:11s} Spearman rho {rho:.3f}", flush=True)
            keep = top_quarter[te]
            rmse = float((mean[keep, 0] - class_mean[te[keep]]).square().mean().sqrt())
            results.setdefault(f"{name:18s} accuracy top quarter RMSE vs class mean", []).append(rmse)
            print(f"seed {seed} {name:18s} accuracy top quarter RMSE vs class mean {rmse:.2f}", flush=True)
    print(f"{args.train} training cells, {args.test} held out, columns {args.accuracy} / {args.latency}")
    for key, values in results.items():
        print(f"median {key}: {statistics.median(values):.3f}")


if __name__ == "__main__":
    main()
