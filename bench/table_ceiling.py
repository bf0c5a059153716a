"""What the benchmark table allows: can a search that skips canonical twins reach the true front?

Usage::

    python -m bench.table_ceiling --table ../shared/benchmarks/nb201.csv [--draws 10]

For every problem of the NB201 device benchmark, prints the number of rows in the
region of interest (ROI), the Pareto-optimal rows in it with the size of their
canonical-key class (cells that compute the same function), and the best ROI
hypervolume ratio a search could reach if it evaluated only one string per
canonical key (a random one per class, median of ``--draws`` draws), and the
largest share of the ROI hypervolume that a single row alone adds; and how many
evaluations a *class-mean oracle* needs to reach a ROI ratio of 0.95: it knows
every string's exact costs and the mean accuracy of its class, but not the
string's own training noise, and evaluates the strings in the order of their
non-dominated layers on (class-mean accuracy, costs), among those whose class
mean lies at most two within-class standard deviations below the ROI's accuracy
bound and whose costs lie inside the ROI. It bounds what a perfect surrogate of
the function could do. Then, per
cost column, how much of it a linear model on op counts explains when the ops
of all six edges count and when only the ops on a path from input to output do.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from collections import defaultdict

import numpy as np
import torch

from bench.scoring import Problem, Scorer, evaluations_to
from mobo.objectives.table import BenchmarkTable
from mobo.pareto import pareto_mask
from spaces import get_space
from spaces.nb201 import EDGES, OPS, NB201Arch

PROBLEMS = (
    ("acc_cifar10", "lat_raspi4_ms"),
    ("acc_cifar10", "lat_pixel3_ms"),
    ("acc_cifar100", "lat_pi5_litert_cifar100_ms"),
    ("acc_imagenet16", "lat_fpga_ms"),
    ("acc_imagenet16", "lat_eyeriss_ms"),
    ("acc_cifar100", "lat_pi5_litert_cifar100_ms", "energy_pi5_litert_cifar100_mj"),
)


def live_edges(arch: NB201Arch) -> list[bool]:
    """Which of the 6 edges lie on a path from the cell input to its output (through no ``none``)."""
    from_input = {0}
    for node in (1, 2, 3):
        if any(dst == node and arch[k] != "none" and src in from_input for k, (dst, src) in enumerate(EDGES)):
            from_input.add(node)
    to_output = {3}
    for node in (2, 1, 0):
        if any(src == node and arch[k] != "none" and dst in to_output for k, (dst, src) in enumerate(EDGES)):
            to_output.add(node)
    return [arch[k] != "none" and src in from_input and dst in to_output for k, (dst, src) in enumerate(EDGES)]


def op_counts(archs: list[NB201Arch], live_only: bool) -> np.ndarray:
    """``n x 5``: count of each op other than ``none`` (all edges, or live ones), and a constant."""
    rows = []
    for arch in archs:
        mask = live_edges(arch) if live_only else [True] * len(EDGES)
        rows.append([sum(m and op == o for m, op in zip(mask, arch)) for o in OPS[1:]] + [1.0])
    return np.array(rows, dtype=float)


def layer_order(y: torch.Tensor) -> list[int]:
    """Row indices of ``y`` (``n x m``, maximized) in order of their non-dominated layers
    (within a layer, by the first column, best first)."""
    remaining = torch.arange(len(y))
    order: list[int] = []
    while len(remaining):
        mask = pareto_mask(y[remaining])
        layer = remaining[mask]
        order.extend(layer[y[layer, 0].argsort(descending=True)].tolist())
        remaining = remaining[~mask]
    return order


def class_mean_oracle(scorer: Scorer, texts: list[str], classes: dict[str, list[str]], target: float = 0.95,
                      budget: int = 100) -> tuple[float, int | None]:
    """The class-mean oracle of the module docstring.

    Returns:
        Its ROI ratio after ``budget`` evaluations, and the evaluations it needs to
        reach ``target`` (``None`` if it never does).
    """
    acc = scorer.y[:, 0]
    mean = torch.empty_like(acc)
    spreads = []
    for members in classes.values():
        rows = torch.tensor(scorer.rows(members))
        mean[rows] = acc[rows].mean()
        if len(rows) >= 5:
            spreads.append(float(acc[rows].std()))
    margin = 2.0 * statistics.median(spreads)
    ref = scorer.roi_ref
    eligible = torch.nonzero((mean >= ref[0] - margin) & (scorer.y[:, 1:] > ref[1:]).all(dim=-1)).flatten()
    y = scorer.y[eligible].clone()
    y[:, 0] = mean[eligible]
    trace = scorer.trace([texts[int(eligible[i])] for i in layer_order(y)])
    needed = evaluations_to(trace, target)
    return trace[min(budget, len(trace)) - 1], None if math.isnan(needed) else int(needed)


def r_squared(x: np.ndarray, y: np.ndarray) -> float:
    w, *_ = np.linalg.lstsq(x, y, rcond=None)
    return float(1.0 - (y - x @ w).var() / y.var())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.table_ceiling", description=__doc__.split("\n")[0])
    parser.add_argument("--table", required=True)
    parser.add_argument("--draws", type=int, default=10)
    args = parser.parse_args(argv)
    table = BenchmarkTable(args.table)
    space = get_space("nb201")
    texts = list(table.archs)
    archs = [space.parse(t) for t in texts]
    key_of = {t: space.canonical_key(a) for t, a in zip(texts, archs)}
    classes: dict[str, list[str]] = defaultdict(list)
    for text, key in key_of.items():
        classes[key].append(text)
    print(f"{len(texts)} rows, {len(classes)} canonical keys")
    print("| problem | ROI rows | Pareto rows in ROI | their class sizes | largest share of one row | "
          "ROI ratio, one string per key | class-mean oracle: evaluations to 0.95 | its ratio at 100 |")
    print("|---|---|---|---|---|---|---|---|")
    for columns in PROBLEMS:
        scorer = Scorer(table, Problem("/".join(columns), columns))
        roi_rows = int((scorer.y > scorer.roi_ref).all(dim=-1).sum())
        front = sorted(scorer.front_in_roi)
        sizes = [len(classes[key_of[texts[i]]]) for i in front]
        # the hypervolume only that row adds (what a search loses by missing it)
        share = max(1.0 - scorer.roi_ratio([texts[j] for j in front if j != i]) for i in front)
        ceilings = []
        for draw in range(args.draws):
            rng = random.Random(draw)
            ceilings.append(scorer.roi_ratio([rng.choice(members) for members in classes.values()]))
        oracle_ratio, needed = class_mean_oracle(scorer, texts, classes)
        print(f"| {scorer.problem.name} | {roi_rows} | {len(front)} | {', '.join(map(str, sizes))} | {share:.3f} | "
              f"{statistics.median(ceilings):.3f} | {needed if needed is not None else 'never'} | "
              f"{oracle_ratio:.3f} |")
    print()
    all_ops, live_ops = op_counts(archs, False), op_counts(archs, True)
    print("| cost column | R² on op counts, all edges | R² on op counts, live edges |")
    print("|---|---|---|")
    for column in sorted({c for p in PROBLEMS for c in p[1:]}):
        y = table.column(column)
        print(f"| {column} | {r_squared(all_ops, y):.3f} | {r_squared(live_ops, y):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
