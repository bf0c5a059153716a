"""Wall-clock speed-up of the search on Ray workers, for evaluations that take a fixed or a
table-derived time (trainings and device measurements take minutes; a sleep stands in for them).

Usage::

    python -m bench.parallel --table PATH [--accuracy COL --latency COL] --workers 1,2,4,8
        --eval-seconds 10 [--time-column COL] --budget 64 --seeds 3 --out bench/results/parallel

Every run uses one local Ray instance, started (and its worker processes warmed up) before the
clock; ``workers: 1`` is the serial search (batches of ``search.batch_size``), more workers the
asynchronous one. Each evaluation sleeps ``--eval-seconds`` (with ``--time-column``: that times
the architecture's value of the column over the column's median) and returns the table's
values. Each (eval seconds, workers, seed) runs once and is appended to ``OUT/results.csv``
(a rerun skips what is there); ``OUT/summary.md`` is rewritten from all rows: per worker count,
the median over seeds of the wall time, the speed-up over the same seed's serial run, the ROI
ratio at the budget, and the proposal time per evaluation.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.methods import search_config
from bench.mobo import read_results
from bench.scoring import Problem, Scorer
from mobo import config as config_module
from mobo.loop import Search
from mobo.objectives import Evaluator, build_evaluators
from mobo.objectives.table import BenchmarkTable, TableLookup
from spaces import Arch, SearchSpace, get_space
from spaces.io import atomic_write_csv, atomic_write_text

HEADER = ("eval_seconds", "time_column", "workers", "seed", "budget", "wall_seconds", "busy_share", "roi_ratio",
          "steps", "proposal_seconds", "proposal_seconds_per_eval")


class Delayed:
    """Evaluator: ``evaluator(arch)`` after sleeping ``seconds(arch)`` (an evaluation that takes time)."""

    def __init__(self, evaluator: Evaluator, seconds: Callable[[Arch], float]) -> None:
        self.evaluator = evaluator
        self.seconds = seconds

    def __call__(self, arch: Arch) -> float:
        time.sleep(self.seconds(arch))
        return self.evaluator(arch)


class TableSeconds:
    """``scale x`` the architecture's value of ``column`` over the column's median (s)."""

    def __init__(self, space: SearchSpace, table: BenchmarkTable, column: str, scale: float) -> None:
        self.lookup = TableLookup(space, table, column)
        self.scale = scale / float(np.median(table.column(column)))

    def __call__(self, arch: Arch) -> float:
        return self.scale * self.lookup(arch)


class FixedSeconds:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, arch: Arch) -> float:
        return self.seconds


def run_one(table: BenchmarkTable, problem: Problem, scorer: Scorer, args: argparse.Namespace, workers: int,
            seed: int) -> dict[str, object]:
    """One search with ``workers`` Ray workers; its wall time counts from ``run()``'s call (the
    graph VAE is loaded before)."""
    config = search_config(table, problem, args.budget, seed)
    config = config_module.from_dict(config_module.apply_overrides(config_module.to_dict(config), [
        "execution.backend=ray", f"execution.workers={workers}"]))
    space = get_space(config.space.name, **config.space.network)
    built = build_evaluators(config, space)
    seconds = TableSeconds(space, table, args.time_column, args.eval_seconds) if args.time_column else \
        FixedSeconds(args.eval_seconds)
    first = config.objectives[0].name  # one sleep per evaluation
    with tempfile.TemporaryDirectory() as run_dir:
        search = Search(config, Path(run_dir), evaluators={**built, first: Delayed(built[first], seconds)},
                        space=space, progress=False)
        start = time.perf_counter()
        search.run()
        wall = time.perf_counter() - start
        records = search.history.records
        timing = search.files.read_timing()
        kept = args.out / "runs" / f"{args.eval_seconds:g}s-{workers}w-seed{seed}"  # when each evaluation ran
        kept.mkdir(parents=True, exist_ok=True)
        for name in ("history.csv", "timing.csv"):
            shutil.copy(Path(run_dir) / name, kept / name)
    proposal = sum(float(row[2]) + float(row[3]) for row in timing)
    proposed = sum(r.iteration > 0 for r in records)
    return {
        "eval_seconds": args.eval_seconds, "time_column": args.time_column or "", "workers": workers, "seed": seed,
        "budget": args.budget, "wall_seconds": round(wall, 2),
        "busy_share": round(sum(r.seconds for r in records) / (wall * workers), 4),
        "roi_ratio": round(scorer.trace([r.arch for r in records])[-1], 5), "steps": len(timing),
        "proposal_seconds": round(proposal, 2), "proposal_seconds_per_eval": round(proposal / max(proposed, 1), 3),
    }


def summary(rows: list[dict[str, str]]) -> str:
    """Markdown: per (eval seconds, workers), medians over seeds; speed-up against the same seed's
    serial (1-worker) run."""
    lines = ["# Parallel search on Ray", "",
             "Median over seeds. speed-up: the same seed's 1-worker wall time over this one; efficiency: "
             "speed-up / workers; busy: share of worker time spent evaluating.", ""]
    by_setting: dict[tuple[str, str], dict[int, dict[int, dict[str, str]]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        by_setting[(r["eval_seconds"], r["time_column"])][int(r["workers"])][int(r["seed"])] = r
    for (eval_s, column), per_workers in sorted(by_setting.items(), key=lambda kv: float(kv[0][0])):
        what = f"{eval_s} s x {column} / median" if column else f"{eval_s} s"
        lines += [f"## Evaluations of {what}", "",
                  "| workers | seeds | wall (s) | speed-up | efficiency | busy | ROI ratio | steps | "
                  "proposal s / eval |", "|---|---|---|---|---|---|---|---|---|"]
        serial = per_workers.get(1, {})
        for w, seeds in sorted(per_workers.items()):
            speedups = [float(serial[s]["wall_seconds"]) / float(r["wall_seconds"]) for s, r in seeds.items()
                        if s in serial]
            med = lambda key: statistics.median(float(r[key]) for r in seeds.values())  # noqa: E731
            speed = statistics.median(speedups) if speedups else float("nan")
            lines.append(f"| {w} | {len(seeds)} | {med('wall_seconds'):.1f} | {speed:.2f} | {speed / w:.2f} | "
                         f"{med('busy_share'):.2f} | {med('roi_ratio'):.3f} | {med('steps'):.0f} | "
                         f"{med('proposal_seconds_per_eval'):.2f} |")
        lines.append("")
    return "\n".join(lines)


def warm_up(workers: int) -> float:
    """Starts a local Ray instance with ``workers`` CPU slots and that many worker processes with
    the search's worker module imported (a one-off per machine, kept out of the runs' clocks).

    Returns:
        The seconds it took.
    """
    import ray

    start = time.perf_counter()
    ray.init(address="local", num_cpus=workers, include_dashboard=False, logging_level="WARNING")

    @ray.remote(num_cpus=1)
    def imported(seconds: float) -> int:
        import mobo.execution.ray_workers  # noqa: F401 - what every evaluation task imports

        time.sleep(seconds)  # holds the slot, so that each task gets its own process
        return os.getpid()

    pids = ray.get([imported.remote(2.0) for _ in range(workers)])
    assert len(set(pids)) == workers, pids
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.parallel", description=__doc__.split("\n")[0])
    parser.add_argument("--table", required=True, type=Path)
    parser.add_argument("--accuracy", default="acc_cifar10")
    parser.add_argument("--latency", default="lat_raspi4_ms")
    parser.add_argument("--workers", default="1,2,4,8", help="comma-separated worker counts")
    parser.add_argument("--eval-seconds", type=float, default=10.0)
    parser.add_argument("--time-column", help="scale each evaluation's time by this column over its median")
    parser.add_argument("--budget", type=int, default=64)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results/parallel"))
    args = parser.parse_args(argv)
    counts = sorted({int(w) for w in args.workers.split(",")})
    table = BenchmarkTable(args.table)
    for column in (args.accuracy, args.latency, *([args.time_column] if args.time_column else [])):
        try:
            table.check_column(column)
        except ValueError as err:
            parser.error(str(err))
    problem = Problem(f"{args.accuracy}/{args.latency}", (args.accuracy, args.latency))
    scorer = Scorer(table, problem)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "results.csv"
    rows = read_results(path)
    done = {(float(r["eval_seconds"]), r["time_column"], int(r["workers"]), int(r["seed"])) for r in rows}
    todo = [(seed, workers) for seed in range(args.seeds) for workers in counts
            if (args.eval_seconds, args.time_column or "", workers, seed) not in done]
    if todo:
        print(f"ray: started and {max(counts)} workers warmed up in {warm_up(max(counts)):.1f} s", flush=True)
    for seed, workers in todo:
        row = run_one(table, problem, scorer, args, workers, seed)
        rows.append({k: str(v) for k, v in row.items()})
        atomic_write_csv(path, HEADER, [[r[k] for k in HEADER] for r in rows])
        print(f"{args.eval_seconds:g} s, {workers} workers, seed {seed}: {row['wall_seconds']} s, "
              f"ROI ratio {row['roi_ratio']}, proposal {row['proposal_seconds_per_eval']} s/eval", flush=True)
    atomic_write_text(args.out / "summary.md", summary(rows))
    print(summary(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
