"""Side-by-side benchmark of LatentNAS and its peers on an NB201 device problem.

Usage::

    python -m bench.mobo --table PATH --accuracy COL --latency COL [--energy COL]
        --methods latentnas,random,nsga2,motpe,onehot-bo,pool-bo --budget 100 --seeds 10 --out DIR

Each (method, seed, problem) is run once and appended to ``DIR/results.csv``
(rerunning the command skips what is there, so problems accumulate in one
DIR); ``DIR/summary.md`` (median and interquartile range per method and
problem) and ``DIR/roi_<problem>.png`` (median ROI ratio vs evaluations, IQR
band) are rewritten from all rows. Peers need ``pip install -e .[bench]``.
``--set search.local_candidates=0`` (repeatable) runs an ablation of LatentNAS,
filed as ``latentnas[search.local_candidates=0]``. ``--first-seed 5 --seeds 10`` runs seeds
5-9 only (two processes must write to separate ``--out`` folders).
"""

from __future__ import annotations

import argparse
import csv
import math
import shutil
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.methods import METHODS, Method, resolve
from bench.scoring import Problem, Scorer, add_problem_arguments, evaluations_to, problem_from_arguments
from mobo.objectives.table import BenchmarkTable
from spaces.figures import save, subplots
from spaces.io import atomic_write_csv, atomic_write_text

HEADER = ("method", "seed", "problem", "budget", "roi_ratio", "full_ratio", "pareto_recall", "evals_to_0.9",
          "wall_seconds", "trace")
METRICS = ("roi_ratio", "full_ratio", "pareto_recall", "evals_to_0.9", "wall_seconds")


def read_results(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def run_one(name: str, run: Method, table: BenchmarkTable, problem: Problem, scorer: Scorer, budget: int,
            seed: int, workdir: Path) -> dict[str, object]:
    """Runs one method once and scores it, filed under ``name`` (see :func:`bench.methods.resolve`)."""
    if workdir.exists():
        shutil.rmtree(workdir)  # a half-finished earlier attempt: start it over
    workdir.mkdir(parents=True)
    start = time.perf_counter()
    archs = run(table, problem, budget, seed, workdir)
    wall = time.perf_counter() - start
    if len(archs) != budget or len(set(archs)) != budget:
        raise RuntimeError(f"{name} returned {len(archs)} architectures ({len(set(archs))} distinct), not {budget}")
    trace = scorer.trace(archs)
    return {
        "method": name, "seed": seed, "problem": problem.name, "budget": budget,
        "roi_ratio": trace[-1], "full_ratio": scorer.full_ratio(archs), "pareto_recall": scorer.recall(archs),
        "evals_to_0.9": evaluations_to(trace, 0.9), "wall_seconds": round(wall, 2),
        "trace": ";".join(f"{v:.5f}" for v in trace),
    }


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return math.nan, math.nan, math.nan
    q1, med, q3 = np.percentile(finite, [25, 50, 75])
    return float(med), float(q1), float(q3)


def summary(rows: list[dict[str, str]]) -> str:
    """Markdown: per problem, per method, median [IQR] of every metric."""
    lines = ["# Benchmark summary", "",
             "Median [interquartile range] over seeds. `evals_to_0.9`: evaluations until the ROI ratio "
             "first reaches 0.9 (median over the seeds that reached it; `reached` counts them).", ""]
    by_problem: dict[str, dict[str, list[dict[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_problem[row["problem"]][row["method"]].append(row)
    for problem, methods in by_problem.items():
        lines += [f"## {problem}", "", "| method | seeds | budget | " + " | ".join(METRICS) + " | reached 0.9 |",
                  "|---" * (len(METRICS) + 4) + "|"]
        order = sorted(methods, key=lambda m: -_quartiles([float(r["roi_ratio"]) for r in methods[m]])[0])
        for method in order:
            rs = methods[method]
            cells = []
            for key in METRICS:
                med, q1, q3 = _quartiles([float(r[key]) for r in rs])
                cells.append("–" if math.isnan(med) else f"{med:.3g} [{q1:.3g}, {q3:.3g}]")
            reached = sum(not math.isnan(float(r["evals_to_0.9"])) for r in rs)
            lines.append(f"| {method} | {len(rs)} | {rs[0]['budget']} | " + " | ".join(cells) + f" | {reached}/{len(rs)} |")
        lines.append("")
    return "\n".join(lines)


def plot_traces(rows: list[dict[str, str]], out: Path) -> list[Path]:
    """One figure per problem: median ROI ratio vs evaluations per method, IQR shaded."""
    paths: list[Path] = []
    by_problem: dict[str, dict[str, list[list[float]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_problem[row["problem"]][row["method"]].append([float(v) for v in row["trace"].split(";")])
    for problem, methods in by_problem.items():
        fig, ax = subplots(figsize=(7.0, 4.6))
        for method in sorted(methods):
            traces = np.array(methods[method])
            x = np.arange(1, traces.shape[1] + 1)
            q1, med, q3 = np.percentile(traces, [25, 50, 75], axis=0)
            ax.plot(x, med, label=f"{method} ({len(traces)} seeds)", linewidth=2 if method == "latentnas" else 1.2)
            ax.fill_between(x, q1, q3, alpha=0.15)
        ax.axhline(0.9, color="0.5", linestyle=":", linewidth=1)
        ax.set_xlabel("evaluations")
        ax.set_ylabel("ROI hypervolume ratio")
        ax.set_ylim(0, 1.02)
        ax.set_title(problem)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        paths += save(fig, out / f"roi_{problem.replace('/', '__')}")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mobo", description=__doc__.split("\n")[0])
    add_problem_arguments(parser)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=10, help="seeds FIRST .. N-1")
    parser.add_argument("--first-seed", type=int, default=0, metavar="FIRST",
                        help="first seed to run (to split the seeds over processes with separate --out folders)")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="ablation: override a LatentNAS setting (e.g. search.local_candidates=0); results are "
                             "filed as latentnas[KEY=VALUE]")
    args = parser.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    try:
        resolved = [resolve(m, args.overrides) for m in methods]
    except ValueError as err:
        parser.error(str(err))
    table, problem = problem_from_arguments(args, parser)
    scorer = Scorer(table, problem)
    results_path = args.out / "results.csv"
    rows = read_results(results_path)
    done = {(r["method"], r["seed"], r["problem"], r["budget"]) for r in rows}
    for name, run in resolved:
        for seed in range(args.first_seed, args.seeds):
            if (name, str(seed), problem.name, str(args.budget)) in done:
                continue
            workdir = args.out / "work" / problem.name.replace("/", "__") / f"{name}-{seed}"
            row = run_one(name, run, table, problem, scorer, args.budget, seed, workdir)
            rows.append({k: str(v) for k, v in row.items()})
            atomic_write_csv(results_path, HEADER, [[r[h] for h in HEADER] for r in rows])
            print(f"{problem.name} {name} seed {seed}: ROI ratio {row['roi_ratio']:.3f}, full {row['full_ratio']:.3f}, "
                  f"recall {row['pareto_recall']:.3f}, {row['wall_seconds']} s", flush=True)
    atomic_write_text(args.out / "summary.md", summary(rows))
    plot_traces(rows, args.out)
    print(f"wrote {results_path}, {args.out / 'summary.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
