"""Plots of a run: the Pareto front (pairwise panels for 3+ objectives) and the hypervolume trace.

Usage::

    python -m mobo.plot RUN_DIR [--table PATH]

Writes ``RUN_DIR/plots/pareto.{png,svg}`` and ``RUN_DIR/plots/hypervolume.{png,svg}``.
With a table (given, or the run's own when every objective reads it) the true
front of the whole table is drawn too.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from mobo.config import Config, ConfigError, ObjectiveConfig
from mobo.history import Evaluation
from mobo.objectives.table import BenchmarkTable, TableSource
from mobo.pareto import pareto_mask
from mobo.results import pareto_records
from mobo.rundir import RunDir
from spaces.figures import save, subplots
from spaces.io import write_files


def objective_label(o: ObjectiveConfig) -> str:
    """Axis label: name, unit, direction, e.g. ``latency (ms, lower is better)``."""
    unit = o.source.unit()
    better = "higher" if o.direction == "maximize" else "lower"
    return f"{o.name} ({unit + ', ' if unit else ''}{better} is better)"


@dataclass(frozen=True)
class RunData:
    """What the plots and the report read from a run directory."""

    run_dir: Path
    config: Config
    records: list[Evaluation]
    hypervolume: list[tuple[int, int, float]]


def load_run(run_dir: Path) -> RunData:
    """Reads a run's config, history and hypervolume trace."""
    run = RunDir(run_dir)
    config = run.read_config()
    return RunData(run.path, config, run.history(config).records, run.read_hypervolume())


def default_table(config: Config) -> Path | None:
    """The run's table when every objective reads it and the file is there."""
    if config.table.path and all(isinstance(o.source, TableSource) for o in config.objectives):
        path = Path(config.table.path)
        return path if path.is_file() else None
    return None


def true_front(table: BenchmarkTable, objectives: tuple[ObjectiveConfig, ...]) -> np.ndarray:
    """The table's feasible non-dominated rows, ``k x m`` in the objectives' own units."""
    values = np.stack([table.column(o.source.column) for o in objectives], axis=1)  # type: ignore[union-attr]
    ok = ~np.isnan(values).any(axis=1)
    for i, o in enumerate(objectives):
        if o.at_most is not None:
            ok &= values[:, i] <= o.at_most
        if o.at_least is not None:
            ok &= values[:, i] >= o.at_least
    values = values[ok]
    signs = np.array([o.sign for o in objectives])
    mask = pareto_mask(torch.from_numpy(values * signs)).numpy()
    return values[mask]


def _step_front(ax: Axes, points: np.ndarray, ox: ObjectiveConfig, oy: ObjectiveConfig, **style) -> None:
    """Draws the 2-D non-dominated subset of ``points`` as a staircase."""
    if len(points) == 0:
        return
    y2 = torch.from_numpy(points[:, [0, 1]] * np.array([ox.sign, oy.sign]))
    front = points[pareto_mask(y2).numpy()]
    front = front[np.argsort(front[:, 0])]
    ax.step(front[:, 0], front[:, 1], where="post" if ox.sign == oy.sign else "pre", **style)


def pareto_figure(run: RunData, table: BenchmarkTable | None) -> Figure:
    """All evaluations, the non-dominated feasible ones highlighted, constraints, the true front."""
    objectives = run.config.objectives
    pairs = list(itertools.combinations(range(len(objectives)), 2))
    fig, axes = subplots(1, len(pairs), figsize=(6.4 * len(pairs), 5.2), squeeze=False)
    ok = [r for r in run.records if not r.failed]
    values = np.array([[r.values[o.name] for o in objectives] for r in ok]).reshape(len(ok), len(objectives))
    feasible = np.array([r.feasible for r in ok], dtype=bool)
    front_idx = {r.index for r in pareto_records(run.records, objectives)}
    on_front = np.array([r.index in front_idx for r in ok], dtype=bool)
    truth = true_front(table, objectives) if table is not None else None
    for ax, (i, j) in zip(axes[0], pairs):
        ox, oy = objectives[i], objectives[j]
        if truth is not None:
            _step_front(ax, truth[:, [i, j]], ox, oy, color="0.35", linestyle="--", linewidth=1.2,
                        label="true front (table)", zorder=1)
        ax.scatter(values[feasible & ~on_front, i], values[feasible & ~on_front, j], s=22, color="#4C72B0",
                   alpha=0.6, label="evaluated (feasible)", zorder=2)
        ax.scatter(values[~feasible, i], values[~feasible, j], s=26, marker="x", color="0.55",
                   label="infeasible", zorder=2)
        ax.scatter(values[on_front, i], values[on_front, j], s=60, color="#DD5555", edgecolor="black",
                   linewidth=0.6, label="Pareto set (feasible, non-dominated)", zorder=3)
        if len(objectives) == 2:
            _step_front(ax, values[on_front][:, [i, j]], ox, oy, color="#DD5555", linewidth=1.0, zorder=3)
        for k, o in ((i, ox), (j, oy)):
            for bound, kind in ((o.at_most, "≤"), (o.at_least, "≥")):
                if bound is None:
                    continue
                line = ax.axvline if k == i else ax.axhline
                line(bound, color="#2CA02C", linestyle=":", linewidth=1.5, label=f"constraint {o.name} {kind} {bound:g}")
        ax.set_xlabel(objective_label(ox))
        ax.set_ylabel(objective_label(oy))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    n_failed = sum(r.failed for r in run.records)
    fig.suptitle(f"{run.config.name}: {len(run.records)} evaluations, {len(front_idx)} on the Pareto front"
                 + (f", {n_failed} failed" if n_failed else ""))
    fig.tight_layout()
    return fig


def hypervolume_figure(run: RunData) -> Figure:
    """Hypervolume (feasible points, fixed reference) against evaluations."""
    fig, ax = subplots(figsize=(6.4, 4.2))
    if run.hypervolume:
        evals = [e for _, e, _ in run.hypervolume]
        hv = [h for _, _, h in run.hypervolume]
        ax.step(evals, hv, where="post", color="#4C72B0", marker="o", markersize=3, label="LatentNAS run")
    initial = run.config.search.initial
    ax.axvline(initial, color="0.5", linestyle=":", label=f"end of initial design ({initial})")
    units = " × ".join(o.source.unit() or "1" for o in run.config.objectives)
    ax.set_xlabel("evaluations")
    ax.set_ylabel(f"hypervolume ({units})")
    ax.set_title(f"{run.config.name}: hypervolume vs evaluations")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def plot_run(run_dir: Path, table_path: Path | None = None) -> list[Path]:
    """Writes the run's plots; returns their paths."""
    run = load_run(run_dir)
    table_path = table_path or default_table(run.config)
    table = None
    if table_path is not None:
        if not all(isinstance(o.source, TableSource) for o in run.config.objectives):
            raise ConfigError("--table: the true front needs every objective to be a table column")
        table = BenchmarkTable(table_path)
    out = RunDir(run_dir).file(RunDir.PLOTS)
    return save(pareto_figure(run, table), out / "pareto") + save(hypervolume_figure(run), out / "hypervolume")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mobo.plot", description="Plot a run's Pareto front.")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--table", type=Path, help="benchmark table whose true front is drawn")
    args = parser.parse_args(argv)
    return write_files(lambda: plot_run(args.run_dir, args.table))


if __name__ == "__main__":
    raise SystemExit(main())
