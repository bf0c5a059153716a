"""The results table of BENCHMARKS.md: one row per problem, one column per method, the median
ROI ratio [interquartile range] (seeds), from the ``results.csv`` of ``bench.mobo``.

Usage::

    python -m bench.table bench/results/nb201/results.csv [--metric roi_ratio] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from spaces.io import atomic_write_text

ORDER = ("latentnas", "pool-bo", "onehot-bo", "motpe", "nsga2", "random")


def table(rows: list[dict[str, str]], metric: str = "roi_ratio") -> str:
    """Markdown: problems as rows (first-seen order), methods as columns (:data:`ORDER` first);
    the best median of each row in bold."""
    cells: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        cells[row["problem"]][row["method"]].append(float(row[metric]))
    methods = [m for m in ORDER if any(m in c for c in cells.values())]
    methods += sorted({m for c in cells.values() for m in c} - set(methods))
    lines = ["| problem | " + " | ".join(methods) + " |", "|---" * (len(methods) + 1) + "|"]
    for number, (problem, by_method) in enumerate(cells.items(), start=1):
        medians = {m: float(np.median(v)) for m, v in by_method.items() if v}
        best = max(medians.values(), default=math.nan)
        row = []
        for m in methods:
            values = by_method.get(m, [])
            if not values:
                row.append("–")
                continue
            q1, med, q3 = np.percentile(values, [25, 50, 75])
            text = f"{med:.3f} [{q1:.2f}, {q3:.2f}] ({len(values)})"
            row.append(f"**{text}**" if med == best else text)
        lines.append(f"| {number}. {problem.replace('/', ' / ')} | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.table", description=__doc__.split("\n")[0])
    parser.add_argument("results", type=Path, nargs="+", help="results.csv files of bench.mobo")
    parser.add_argument("--metric", default="roi_ratio")
    parser.add_argument("--out", type=Path, help="write the table here instead of printing it")
    args = parser.parse_args(argv)
    rows: list[dict[str, str]] = []
    for path in args.results:
        with path.open(newline="") as f:
            rows += list(csv.DictReader(f))
    text = table(rows, args.metric)
    if args.out:
        atomic_write_text(args.out, text)
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
