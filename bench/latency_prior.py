"""What a few-shot latency prior buys the search: evaluations to reach an ROI ratio, with and without.

Usage::

    python -m bench.latency_prior --table ../shared/benchmarks/nb201.csv
        --problems acc_cifar10:lat_raspi4_ms,acc_cifar100:lat_pi5_litert_cifar100_ms --seeds 5 --budget 100
        --out bench/results/latency_prior

For each problem ``ACCURACY:LATENCY``: meta-trains the latency predictor on every other
``lat_*`` column of the table (the problem's device is new to it), adapts it to the
``--samples`` architectures it suggests with their latencies from the table, and runs
LatentNAS (``bench.mobo``) with and without ``objectives.latency.prior``. The adaptation's
measurements are latency measurements only and are not counted in the budget. Prints,
and writes to ``OUT/prior.md``, per problem the median ROI ratio at the budget and the
median evaluations to reach ROI ratios 0.5, 0.7 and 0.9 (a seed that never does counts
as more than the budget).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from bench import mobo as harness
from bench.scoring import evaluations_to
from mobo.latency_predictor import fit, table_latencies
from mobo.objectives.table import BenchmarkTable
from spaces import get_space
from spaces.io import atomic_write_text

LEVELS = (0.5, 0.7, 0.9)


def adapted_prior(table: BenchmarkTable, latency: str, samples: int, path: Path) -> Path:
    """The predictor for ``latency`` (meta-trained without it, adapted to ``samples`` of its
    rows) at ``path``, made if missing."""
    if not path.is_file():
        space = get_space("nb201")
        archs, lat, devices = table_latencies(table, space)
        others = [j for j, d in enumerate(devices) if d != latency]
        model = fit(space, archs, lat[:, others], [devices[j] for j in others])
        picks = [space.format(a) for a in model.suggest(space, samples, archs)]
        model.adapt(space, {a: table.value(a, latency) for a in picks}).save(path)
    return path


def median_reach(traces: list[list[float]], level: float, budget: int) -> str:
    reach = sorted(evaluations_to(t, level) for t in traces)
    reach = [budget + 1 if r != r else r for r in reach]  # NaN: never reached
    value = statistics.median(reach)
    return f">{budget}" if value > budget else f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", required=True, type=Path)
    parser.add_argument("--problems", required=True, help="comma-separated ACCURACY:LATENCY column pairs")
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    table = BenchmarkTable(args.table)
    (args.out / "work").mkdir(parents=True, exist_ok=True)
    lines = ["| problem | ROI ratio without / with prior | evals to " + " / ".join(map(str, LEVELS))
             + " without | with prior |", "|---|---|---|---|"]
    for pair in args.problems.split(","):
        accuracy, latency = pair.split(":")
        prior = adapted_prior(table, latency, args.samples, args.out / "work" / f"prior-{latency}.pt")
        with_prior = f"objectives.latency.prior={prior}"
        common = ["--table", str(args.table), "--accuracy", accuracy, "--latency", latency, "--methods", "latentnas",
                  "--budget", str(args.budget), "--seeds", str(args.seeds), "--out", str(args.out)]
        harness.main(common)
        harness.main([*common, "--set", with_prior])
        rows = [r for r in harness.read_results(args.out / "results.csv")
                if r["problem"] == f"{accuracy}/{latency}" and int(r["seed"]) < args.seeds]
        cells = []
        for name in ("latentnas", f"latentnas[{with_prior}]"):
            mine = [r for r in rows if r["method"] == name]
            traces = [[float(v) for v in r["trace"].split(";")] for r in mine]
            cells.append((statistics.median(float(r["roi_ratio"]) for r in mine),
                          " / ".join(median_reach(traces, level, args.budget) for level in LEVELS)))
        lines.append(f"| {accuracy}/{latency} | {cells[0][0]:.3f} / {cells[1][0]:.3f} | {cells[0][1]} | {cells[1][1]} |")
        print("\n".join(lines), flush=True)
    atomic_write_text(args.out / "prior.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
