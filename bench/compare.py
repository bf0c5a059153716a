"""Paired comparison of two sets of ``bench.mobo`` runs: is a design change a gain or seed noise?

Usage::

    python -m bench.compare DIR_OR_CSV [...] --against DIR_OR_CSV [...]
        [--method NAME] [--against-method NAME] [--metric roi_ratio] [--bootstrap 10000]

Runs are paired by (problem, seed): the same seed gives both designs the same
initial design, so the paired difference removes the part of the seed-to-seed
spread that the two share. Per problem and over all pairs it prints a markdown
table: the pairs, both medians, how many pairs are higher / lower, the mean paired
difference with a 90 % percentile-bootstrap interval (``--bootstrap`` resamples
of the pairs, seeded), and the two-sided Wilcoxon signed-rank p-value. One
LatentNAS run's ROI ratio spreads by about 0.2 across seeds, so five pairs
cannot show a difference of 0.05: read the interval, not the medians.
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import wilcoxon

from bench.mobo import read_results


@dataclass(frozen=True)
class Paired:
    """The paired values of one problem (or of all problems, ``problem == "all"``).

    Attributes:
        problem: the problem's name (``acc/lat[/energy]``) or ``all``.
        a, b: the metric of each pair, ``a`` the compared runs, ``b`` the baseline.
    """

    problem: str
    a: tuple[float, ...]
    b: tuple[float, ...]

    @property
    def differences(self) -> np.ndarray:
        return np.asarray(self.a) - np.asarray(self.b)


def read_rows(paths: Sequence[Path]) -> list[dict[str, str]]:
    """The rows of every ``results.csv`` named (a folder stands for its ``results.csv``)."""
    rows: list[dict[str, str]] = []
    for path in paths:
        file = path / "results.csv" if path.is_dir() else path
        if not file.is_file():
            raise FileNotFoundError(f"{path}: no results.csv")
        rows += read_results(file)
    return rows


def by_problem_and_seed(rows: list[dict[str, str]], metric: str, method: str | None, side: str
                        ) -> dict[tuple[str, int], float]:
    """``(problem, seed) -> metric`` of one method's rows.

    Raises:
        ValueError: ``metric`` is not a column, ``method`` has no rows, or no ``method``
            was named and the rows hold several (the message names them), or one
            (problem, seed) appears twice.
    """
    if rows and metric not in rows[0]:
        raise ValueError(f"--metric: no column {metric!r} (columns: {', '.join(rows[0])})")
    methods = sorted({r["method"] for r in rows})
    if method is None:
        if len(methods) != 1:
            raise ValueError(f"--{side}: the rows hold {len(methods)} methods, name one with --{side}: "
                             + ", ".join(methods))
        method = methods[0]
    elif method not in methods:
        raise ValueError(f"--{side} {method!r}: no such method in the rows (found: {', '.join(methods)})")
    out: dict[tuple[str, int], float] = {}
    for r in rows:
        if r["method"] != method:
            continue
        key = (r["problem"], int(r["seed"]))
        if key in out:
            raise ValueError(f"--{side}: problem {key[0]} seed {key[1]} appears twice for {method}")
        out[key] = float(r[metric])
    return out


def pair(a: dict[tuple[str, int], float], b: dict[tuple[str, int], float]) -> list[Paired]:
    """Per problem (2-objective problems first, then by name), the pairs both sides ran,
    then all of them together as ``all``."""
    both = a.keys() & b.keys()
    problems = sorted({p for p, _ in both}, key=lambda p: (p.count("/"), p))
    out = []
    for problem in problems:
        seeds = sorted(s for p, s in both if p == problem)
        out.append(Paired(problem, tuple(a[problem, s] for s in seeds), tuple(b[problem, s] for s in seeds)))
    if out:
        out.append(Paired("all", sum((p.a for p in out), ()), sum((p.b for p in out), ())))
    return out


def bootstrap_interval(differences: np.ndarray, resamples: int, seed: int = 0, level: float = 0.9
                       ) -> tuple[float, float]:
    """Percentile-bootstrap interval of the mean of ``differences`` (``n``), seeded."""
    rng = np.random.default_rng(seed)
    means = rng.choice(differences, size=(resamples, len(differences)), replace=True).mean(axis=1)
    tail = (1 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def wilcoxon_p(differences: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value (``NaN`` when every difference is zero)."""
    if not np.any(differences):
        return math.nan
    return float(wilcoxon(differences).pvalue)


def table(pairs: list[Paired], resamples: int) -> str:
    """The markdown table of :mod:`bench.compare` (one row per problem, then ``all``)."""
    lines = ["| problem | pairs | median | baseline median | higher / lower | mean paired difference [90 % bootstrap] "
             "| Wilcoxon p |", "|---|---|---|---|---|---|---|"]
    for p in pairs:
        d = p.differences
        lo, hi = bootstrap_interval(d, resamples)
        lines.append(f"| {p.problem} | {len(d)} | {statistics.median(p.a):.3f} | {statistics.median(p.b):.3f} | "
                     f"{int((d > 0).sum())} / {int((d < 0).sum())} | {d.mean():+.3f} [{lo:+.3f}, {hi:+.3f}] | "
                     f"{wilcoxon_p(d):.2g} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="results.csv files or folders holding one")
    parser.add_argument("--against", nargs="+", type=Path, required=True, help="the baseline's results")
    parser.add_argument("--method", help="the compared method's name in the rows (needed if they hold several)")
    parser.add_argument("--against-method", help="the baseline's method name (likewise)")
    parser.add_argument("--metric", default="roi_ratio")
    parser.add_argument("--bootstrap", type=int, default=10_000, help="bootstrap resamples")
    args = parser.parse_args(argv)
    try:
        a = by_problem_and_seed(read_rows(args.runs), args.metric, args.method, "method")
        b = by_problem_and_seed(read_rows(args.against), args.metric, args.against_method, "against-method")
    except (FileNotFoundError, ValueError) as err:
        parser.error(str(err))
    pairs = pair(a, b)
    if not pairs:
        parser.error("no (problem, seed) pair was run by both sides")
    print(table(pairs, args.bootstrap))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
