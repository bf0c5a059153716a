"""Plots of a run: the Pareto front (pairwise panels for 3+ objectives) and the hypervolume trace.

Usage::

    python -m mobo.plot RUN_DIR [--table PATH]

Writes ``RUN_DIR/plots/pareto.{png,svg}``, ``RUN_DIR/plots/hypervolume.{png,svg}`` and the
interactive ``RUN_DIR/plots/pareto.html`` (:mod:`mobo.interactive`).
The Pareto plot's axes span the evaluated points, with the region the hypervolume counts
(and the reference point, when in view) drawn. With a table (given, or
the run's own when every objective reads it) the true front of the whole table is drawn
too, clipped to that view, and the hypervolume is also shown as a share of the true
front's.
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
from matplotlib.patches import Rectangle

from mobo.config import Config, ConfigError, ObjectiveConfig
from mobo.history import Evaluation
from mobo.objectives.table import BenchmarkTable, TableSource
from mobo.pareto import pareto_mask
from mobo.results import default_table, front_hypervolume, pareto_records, true_front
from mobo.rundir import RunDir
from spaces.figures import save, subplots
from spaces.io import write_files


def objective_label(o: ObjectiveConfig) -> str:
    """Axis label: name, the table column it reads, unit, direction, e.g. ``latency: lat_raspi4_ms
    (ms, lower is better)``."""
    unit = o.source.unit()
    better = "higher" if o.direction == "maximize" else "lower"
    column = f": {o.source.column}" if isinstance(o.source, TableSource) and o.source.column != o.name else ""
    return f"{o.name}{column} ({unit + ', ' if unit else ''}{better} is better)"


@dataclass(frozen=True)
class RunData:
    """What the plots and the report read from a run directory."""

    run_dir: Path
    config: Config
    records: list[Evaluation]
    hypervolume: list[tuple[int, int, float]]
    reference: dict[str, float] | None


def load_run(run_dir: Path) -> RunData:
    """Reads a run's config, history, hypervolume trace and reference point."""
    run = RunDir(run_dir)
    config = run.read_config()
    return RunData(run.path, config, run.history(config).records, run.read_hypervolume(), run.read_reference())


def _step_front(ax: Axes, points: np.ndarray, ox: ObjectiveConfig, oy: ObjectiveConfig, **style) -> None:
    """Draws the 2-D non-dominated subset of ``points`` as a staircase."""
    if len(points) == 0:
        return
    y2 = torch.from_numpy(points[:, [0, 1]] * np.array([ox.sign, oy.sign]))
    front = points[pareto_mask(y2).numpy()]
    front = front[np.argsort(front[:, 0])]
    ax.step(front[:, 0], front[:, 1], where="post" if ox.sign == oy.sign else "pre", **style)


def _view(values: np.ndarray, margin: float = 0.06) -> tuple[float, float]:
    """Axis limits spanning the evaluated ``values`` with ``margin`` of the span on each side
    (bounds, references and the true front are clipped to them)."""
    points = values[np.isfinite(values)]
    if len(points) == 0:
        return 0.0, 1.0
    lo, hi = float(points.min()), float(points.max())
    pad = margin * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
    return lo - pad, hi + pad


def _reference_box(ax: Axes, ref: tuple[float, float], ox: ObjectiveConfig, oy: ObjectiveConfig,
                   view: tuple[tuple[float, float], tuple[float, float]]) -> None:
    """The region better than the reference point in both objectives (what the hypervolume
    counts), up to the edge of the view, and the point itself when it lies in the view (a
    reference at a distant constraint bound would squeeze the data into a corner)."""
    (x0, x1), (y0, y1) = view
    x_end = x1 if ox.direction == "maximize" else x0
    y_end = y1 if oy.direction == "maximize" else y0
    ax.add_patch(Rectangle((ref[0], ref[1]), x_end - ref[0], y_end - ref[1], facecolor="#F2C14E", alpha=0.15,
                           edgecolor="#C89B1E", linewidth=1.0, zorder=0, label="counted by the hypervolume"))
    ax.set_title(f"reference point: {ox.name} {ref[0]:.4g}, {oy.name} {ref[1]:.4g}", fontsize=9)
    if x0 <= ref[0] <= x1 and y0 <= ref[1] <= y1:
        ax.scatter([ref[0]], [ref[1]], marker="*", s=140, color="#C89B1E", edgecolor="black", linewidth=0.6,
                   label="reference point", zorder=4)


def pareto_figure(run: RunData, table: BenchmarkTable | None) -> Figure:
    """All evaluations, the non-dominated feasible ones highlighted, the reference point and the
    region it counts, constraints inside the view, and the true front; one legend."""
    objectives = run.config.objectives
    pairs = list(itertools.combinations(range(len(objectives)), 2))
    fig, axes = subplots(1, len(pairs), figsize=(6.4 * len(pairs), 5.2), squeeze=False)
    ok = [r for r in run.records if not r.failed]
    values = np.array([[r.values[o.name] for o in objectives] for r in ok]).reshape(len(ok), len(objectives))
    feasible = np.array([r.feasible for r in ok], dtype=bool)
    front_idx = {r.index for r in pareto_records(run.records, objectives)}
    on_front = np.array([r.index in front_idx for r in ok], dtype=bool)
    truth = true_front(table, objectives) if table is not None else None
    ref = [run.reference[o.name] for o in objectives] if run.reference else None
    views = [_view(values[:, k]) for k in range(len(objectives))]
    hidden: list[str] = []
    for ax, (i, j) in zip(axes[0], pairs):
        ox, oy = objectives[i], objectives[j]
        if ref is not None:
            _reference_box(ax, (ref[i], ref[j]), ox, oy, (views[i], views[j]))
        if truth is not None and len(objectives) == 2:
            _step_front(ax, truth, ox, oy, color="0.35", linestyle="--", linewidth=1.2, label="true front (table)",
                        zorder=1)
        elif truth is not None:  # a pair's own staircase of a 3-D front can be one point: show the front itself
            inside = ((truth[:, i] >= views[i][0]) & (truth[:, i] <= views[i][1]) & (truth[:, j] >= views[j][0])
                      & (truth[:, j] <= views[j][1]))
            ax.scatter(truth[inside, i], truth[inside, j], s=9, color="0.3", marker="D", alpha=0.5, linewidths=0,
                       label="true front (table, every objective)", zorder=1)
        groups = ((feasible & ~on_front, dict(s=22, color="#4C72B0", alpha=0.6, label="evaluated (feasible)")),
                  (~feasible, dict(s=26, marker="x", color="0.55", label="infeasible (breaks a constraint)")),
                  (on_front, dict(s=60, color="#DD5555", edgecolor="black", linewidth=0.6,
                                  label="Pareto set (feasible, non-dominated)")))
        for mask, style in groups:
            if mask.any():  # no legend entry for what is not drawn
                ax.scatter(values[mask, i], values[mask, j], zorder=3 if mask is on_front else 2, **style)
        if len(objectives) == 2:
            _step_front(ax, values[on_front][:, [i, j]], ox, oy, color="#DD5555", linewidth=1.0, zorder=3)
        for k, o in ((i, ox), (j, oy)):
            for bound, kind in ((o.at_most, "≤"), (o.at_least, "≥")):
                if bound is None:
                    continue
                if not views[k][0] <= bound <= views[k][1]:
                    hidden.append(f"{o.name} {kind} {bound:g}")
                    continue
                line = ax.axvline if k == i else ax.axhline
                line(bound, color="#2CA02C", linestyle=":", linewidth=1.5, label=f"constraint {o.name} {kind} {bound:g}")
        ax.set_xlim(*views[i])
        ax.set_ylim(*views[j])
        ax.set_xlabel(objective_label(ox))
        ax.set_ylabel(objective_label(oy))
        ax.grid(alpha=0.3)
    handles: dict[str, object] = {}
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    if len(pairs) == 1:
        axes[0][0].legend(list(handles.values()), list(handles), fontsize=8, loc="best")
    else:
        fig.legend(list(handles.values()), list(handles), fontsize=8, loc="lower center", ncol=min(len(handles), 4))
    n_failed = sum(r.failed for r in run.records)
    beyond = f"\nconstraint {', '.join(sorted(set(hidden)))}: every point shown meets it" if hidden else ""
    fig.suptitle(f"{run.config.name}: {len(run.records)} evaluations, {len(front_idx)} on the Pareto front"
                 + (f", {n_failed} failed" if n_failed else "") + beyond, fontsize=11)
    fig.tight_layout(rect=(0, 0.08 if len(pairs) > 1 else 0, 1, 1))
    return fig


def true_hypervolume(run: RunData, table: BenchmarkTable) -> float:
    """The hypervolume of the table's true front above the run's reference point (``NaN``
    before the reference is fixed)."""
    return front_hypervolume(table, run.config.objectives, run.reference) if run.reference else float("nan")


def hypervolume_figure(run: RunData, table: BenchmarkTable | None = None) -> Figure:
    """Hypervolume (feasible points, fixed reference) against evaluations; with the table, its
    share of the true front's too (right axis, 0 to 1)."""
    fig, ax = subplots(figsize=(6.4, 4.2))
    best = true_hypervolume(run, table) if table is not None else float("nan")
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
    if best > 0:  # the two axes agree: 0 at 0, the true front's hypervolume at 1
        ax.set_ylim(0.0, best)
        share = ax.twinx()
        share.set_ylim(0.0, 1.0)
        share.set_ylabel("share of the true front's hypervolume (table)")
        hv_now = run.hypervolume[-1][2] if run.hypervolume else 0.0
        ax.set_title(f"{run.config.name}: hypervolume vs evaluations ({hv_now / best:.3f} of the true front)")
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
    from mobo.interactive import interactive_page  # it builds on this module

    return (save(pareto_figure(run, table), out / "pareto") + save(hypervolume_figure(run, table), out / "hypervolume")
            + [interactive_page(run, table, out / "pareto.html")])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mobo.plot", description="Plot a run's Pareto front.")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--table", type=Path, help="benchmark table whose true front is drawn")
    args = parser.parse_args(argv)
    return write_files(lambda: plot_run(args.run_dir, args.table))


if __name__ == "__main__":
    raise SystemExit(main())
