"""How well a per-layer latency lookup table predicts whole-network latency on this host.

Usage::

    python -m bench.lut_accuracy [--space enas] [--lut LUT.json] [--fit 50] [--test 100] [--seeds 0 1 2]

Builds the table on this host (or reads ``--lut``), then for each seed measures
``--fit`` random networks to fit the calibration and ``--test`` other networks
(distinct computations, none shared with the fit sample) to score it. Prints,
per seed and as medians over seeds, Spearman's rho and MAPE (%) of the raw
table sum and of the calibrated prediction against the measured latency.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import numpy as np
from scipy.stats import spearmanr

from spaces import get_space
from spaces.lut.build import TimingSettings, build_table, calibrate, distinct_sample, measure_networks
from spaces.lut.table import LookupTable


def scores(predicted: list[float], measured: list[float]) -> tuple[float, float]:
    """Spearman's rho and MAPE (%) of predictions against measurements."""
    p, m = np.asarray(predicted), np.asarray(measured)
    return float(spearmanr(p, m).statistic), float(np.mean(np.abs(p - m) / m) * 100.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--space", default="enas")
    parser.add_argument("--lut", help="an existing table (default: build one now)")
    parser.add_argument("--fit", type=int, default=50, help="networks measured to fit the calibration")
    parser.add_argument("--test", type=int, default=100, help="held-out networks measured to score it")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    space = get_space(args.space)
    settings = TimingSettings(threads=args.threads, repeats=args.repeats)
    start = time.perf_counter()
    table = LookupTable.load(args.lut) if args.lut else build_table(space, settings, progress=False)
    print(f"table: {len(table.entries)} entries ({'read' if args.lut else 'built'} in "
          f"{time.perf_counter() - start:.1f} s), {args.threads} thread(s), {args.repeats} repeats", flush=True)
    rows = []
    for seed in args.seeds:
        rng = random.Random(seed)
        fit_archs = distinct_sample(space, args.fit, rng)
        test_archs = distinct_sample(space, args.test, rng, exclude={space.canonical_key(a) for a in fit_archs})
        fit_measured = measure_networks(space, fit_archs, settings, progress=False)
        test_measured = measure_networks(space, test_archs, settings, progress=False)
        calibrate(table, space, fit_archs, fit_measured)
        raw = [table.predict(space.lut_keys(a), {}, calibrated=False) for a in test_archs]
        cal = [table.predict(space.lut_keys(a), space.lut_counts(a)) for a in test_archs]
        row = dict(zip(("rho_raw", "mape_raw"), scores(raw, test_measured)))
        row.update(zip(("rho_calibrated", "mape_calibrated"), scores(cal, test_measured)))
        row["measured_median_ms"] = statistics.median(test_measured)
        rows.append(row)
        print(f"seed {seed}: " + ", ".join(f"{k}={v:.3f}" for k, v in row.items()), flush=True)
    print(f"median over {len(rows)} seed(s), fit {args.fit} / test {args.test} networks: "
          + ", ".join(f"{k}={statistics.median(r[k] for r in rows):.3f}" for k in rows[0]))
    assert table.calibration is not None
    print("calibration features: " + ", ".join(table.calibration.features))


if __name__ == "__main__":
    main()
