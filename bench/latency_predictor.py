"""Leave-one-device-out accuracy of the few-shot latency predictor, beside simple baselines.

Usage::

    python -m bench.latency_predictor --table ../shared/benchmarks/nb201.csv [--columns a,b,...]
        [--samples 10] [--seeds 5] [--hold-out a,b,...]

For each latency column (a device) and seed: meta-train on every other column, take the
``--samples`` architectures the predictor suggests, adapt to the held-out device's
latencies of them, predict every row of the table and score the prediction against the
column (Spearman's rho, Kendall's tau, MAPE in %). The baselines see the same measurements:

* ``ridge``: ridge regression of log-latency on the one-hot choices (penalty by
  leave-one-out over a grid);
* ``gp``: a GP (BoTorch ``SingleTaskGP``) on the one-hot choices, log-latency;
* ``lut``: the per-op lookup-table idea: an additive per-op table (least squares of
  latency on the one-hot choices) of each other device, the one whose table ranks the
  measurements best, calibrated to them by a line (by a scale when the line falls).

``ceiling`` is what the device's own measurement noise allows an op-level model: the
in-sample rho of least squares of its latency on the one-hot choices and their pairwise
products, fitted to every row. ``oracle`` bounds the predictor's features: the in-sample rho
of least squares of the device's log-latency on them, fitted to every row (what a head
could reach with every measurement instead of ten). Figures are medians over seeds. ``--features``, ``--noise``
and ``--jitter`` replace the predictor's settings (how its defaults were chosen).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

import numpy as np
import torch
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from gpytorch.mlls import ExactMarginalLogLikelihood
from scipy.stats import kendalltau, spearmanr

from mobo.latency_predictor import PredictorSettings, fit, table_latencies
from mobo.objectives.table import BenchmarkTable
from spaces import get_space


def scores(predicted: np.ndarray, measured: np.ndarray) -> dict[str, float]:
    """Spearman's rho, Kendall's tau and MAPE (%) of predicted against measured latencies (ms)."""
    return {"rho": float(spearmanr(predicted, measured).statistic),
            "tau": float(kendalltau(predicted, measured).statistic),
            "mape": float(np.mean(np.abs(predicted - measured) / measured) * 100.0)}


def with_intercept(x: np.ndarray) -> np.ndarray:
    return np.hstack([x, np.ones((len(x), 1))])


def ridge(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Ridge of ``y[idx]`` on ``x[idx]`` (unpenalized intercept), penalty chosen by leave-one-out
    from a grid; returns the prediction on every row."""
    a = with_intercept(x)
    ai, yi = a[idx], y[idx]
    best, best_err = None, np.inf
    for lam in (1e-3, 1e-2, 1e-1, 1.0, 10.0):
        penalty = lam * np.eye(a.shape[1])
        penalty[-1, -1] = 0.0
        hat = ai @ np.linalg.solve(ai.T @ ai + penalty + 1e-9 * np.eye(a.shape[1]), ai.T)
        resid = (yi - hat @ yi) / np.clip(1.0 - np.diag(hat), 1e-6, None)
        if (err := float(np.mean(resid**2))) < best_err:
            best, best_err = penalty, err
    w = np.linalg.solve(ai.T @ ai + best + 1e-9 * np.eye(a.shape[1]), ai.T @ yi)
    return a @ w


def gp(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """A GP on ``x[idx] -> y[idx]``; returns its posterior mean on every row."""
    tx = torch.tensor(x, dtype=torch.float64)
    ty = torch.tensor(y[idx], dtype=torch.float64)[:, None]
    model = SingleTaskGP(tx[idx], ty)
    fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    with torch.no_grad():
        return model.posterior(tx).mean[:, 0].numpy()


def lut(x: np.ndarray, others: np.ndarray, y_ms: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The other devices' additive per-op tables; the one that ranks ``y_ms[idx]`` best,
    calibrated by a line fitted to them; returns the prediction (ms) on every row."""
    a = with_intercept(x)
    tables = np.linalg.lstsq(a, others, rcond=None)[0]
    sums = a @ tables
    fit_rho = [spearmanr(sums[idx, j], y_ms[idx]).statistic for j in range(sums.shape[1])]
    s = sums[:, int(np.nanargmax(fit_rho))]
    slope, intercept = np.polyfit(s[idx], y_ms[idx], 1)
    if slope <= 0:  # a table that ranks the rest backwards: keep its order, match the scale
        slope, intercept = float(np.mean(y_ms[idx]) / np.mean(s[idx])), 0.0
    return slope * s + intercept


def ceiling(x: np.ndarray, y_ms: np.ndarray) -> float:
    """In-sample rho of least squares on the one-hot choices and their pairwise products."""
    i, j = np.triu_indices(x.shape[1], 1)
    pairs = x[:, i] * x[:, j]
    a = with_intercept(np.hstack([x, pairs[:, pairs.any(axis=0)]]))
    return float(spearmanr(a @ np.linalg.lstsq(a, y_ms, rcond=None)[0], y_ms).statistic)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", required=True)
    parser.add_argument("--columns", help="comma-separated latency columns (default: every lat_* column)")
    parser.add_argument("--hold-out", help="comma-separated columns to hold out in turn (default: every one)")
    parser.add_argument("--space", default="nb201")
    parser.add_argument("--samples", type=int, default=10, help="measurements on the held-out device")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=PredictorSettings.steps)
    parser.add_argument("--features", type=int, default=PredictorSettings.features)
    parser.add_argument("--noise", type=float, default=PredictorSettings.noise)
    parser.add_argument("--jitter", type=float, default=PredictorSettings.jitter)
    args = parser.parse_args()
    torch.set_num_threads(2)
    space = get_space(args.space)
    columns = args.columns.split(",") if args.columns else None
    archs, lat, devices = table_latencies(BenchmarkTable(args.table), space, columns)
    x = np.array([space.one_hot(a) for a in archs])
    row_of = {space.format(a): i for i, a in enumerate(archs)}
    settings = replace(PredictorSettings(), steps=args.steps, features=args.features, noise=args.noise,
                       jitter=args.jitter)
    print(f"{len(archs)} architectures, {len(devices)} devices, {args.samples} measurements, {args.seeds} seeds, "
          f"settings {settings}", flush=True)
    methods = ("predictor", "ridge", "gp", "lut")
    table: dict[str, dict[str, list[float]]] = {}
    fit_times, adapt_times = [], []
    held = args.hold_out.split(",") if args.hold_out else devices
    for name in held:
        if name not in devices:
            parser.error(f"--hold-out: {name!r} is not one of the latency columns {', '.join(devices)}")
    for d, device in [(devices.index(name), name) for name in held]:
        others = [j for j in range(len(devices)) if j != d]
        y = lat[:, d]
        rows = {f"{m}_{k}": [] for m in methods for k in ("rho", "tau", "mape")}
        rows["oracle"] = []
        for seed in range(args.seeds):
            start = time.perf_counter()
            model = fit(space, archs, lat[:, others], [devices[j] for j in others], settings, seed)
            fit_times.append(time.perf_counter() - start)
            picks = model.suggest(space, args.samples, archs)
            idx = np.array([row_of[space.format(a)] for a in picks])
            start = time.perf_counter()
            adapted = model.adapt(space, {space.format(archs[i]): float(y[i]) for i in idx})
            predicted = {"predictor": adapted.predict(space, archs).numpy()}
            adapt_times.append(time.perf_counter() - start)
            a = model.design(space, archs).numpy()
            rows["oracle"].append(float(spearmanr(a @ np.linalg.lstsq(a, np.log(y), rcond=None)[0], y).statistic))
            predicted["ridge"] = np.exp(ridge(x, np.log(y), idx))
            predicted["gp"] = np.exp(gp(x, np.log(y), idx))
            predicted["lut"] = lut(x, lat[:, others], y, idx)
            for m in methods:
                for k, v in scores(predicted[m], y).items():
                    rows[f"{m}_{k}"].append(v)
            print(f"{device} seed {seed}: " + ", ".join(f"{m} rho {rows[m + '_rho'][-1]:.3f}" for m in methods),
                  flush=True)
        table[device] = {k: statistics.median(v) for k, v in rows.items()}
        table[device]["ceiling"] = ceiling(x, y)
    print(f"\nmeta-training {statistics.median(fit_times):.1f} s (median per fold); adapt + predict of "
          f"{len(archs)} architectures {statistics.median(adapt_times):.2f} s")
    head = ["device", *(f"{m} {k}" for m in methods for k in ("rho", "tau", "mape%")), "oracle", "ceiling",
            "rho/ceiling"]
    print("\n| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for device, r in table.items():
        cells = [f"{r[f'{m}_{k}']:.3f}" if k != "mape" else f"{r[f'{m}_{k}']:.1f}"
                 for m in methods for k in ("rho", "tau", "mape")]
        print(f"| {device} | " + " | ".join(cells) + f" | {r['oracle']:.3f} | {r['ceiling']:.3f} | "
              f"{r['predictor_rho'] / r['ceiling']:.3f} |")
    mean = {k: float(np.mean([r[k] for r in table.values()])) for k in next(iter(table.values()))}
    cells = [f"{mean[f'{m}_{k}']:.3f}" if k != "mape" else f"{mean[f'{m}_{k}']:.1f}"
             for m in methods for k in ("rho", "tau", "mape")]
    ratios = [r["predictor_rho"] / r["ceiling"] for r in table.values()]
    print("| mean | " + " | ".join(cells) + f" | {mean['oracle']:.3f} | {mean['ceiling']:.3f} | min {min(ratios):.3f} |")


if __name__ == "__main__":
    main()
