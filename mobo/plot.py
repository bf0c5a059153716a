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

import matplotlib

matplotlib.use("Agg")  # non-interactive: files only
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from mobo import config as config_module  # noqa: E402
from mobo.config import Config, ConfigError, ObjectiveConfig  # noqa: E402
from mobo.history import Evaluation, History  # noqa: E402
from mobo.loop import CONFIG_FILE, HISTORY_FILE, HYPERVOLUME_FILE  # noqa: E402
from mobo.objectives.table import BenchmarkTable  # noqa: E402
from mobo.pareto import pareto_mask  # noqa: E402
from mobo.results import pareto_records  # noqa: E402
from mobo.utils.cli import write_files  # noqa: E402
from spaces.lut import LookupTable  # noqa: E402

PLOTS_DIR = "plots"
_UNITS = {"train": "%", "measured_latency": "ms", "params": "M", "flops": "MFLOPs"}
_SUFFIX_UNITS = (("_ms", "ms"), ("_mj", "mJ"), ("_pct", "%"))

# Fixed metadata and SVG ids so a fixed run gives byte-identical files.
plt.rcParams["svg.hashsalt"] = "latentnas"
_SVG_META = {"Date": None, "Creator": None}
_PNG_META = {"Software": None}


def objective_unit(o: ObjectiveConfig) -> str:
    """The unit of an objective's values (``%``, ``ms``, ``mJ``, ... or ``""``)."""
    if o.source == "table":
        column = o.options.column.lower()  # type: ignore[union-attr]
        for suffix, unit in _SUFFIX_UNITS:
            if column.endswith(suffix):
                return unit
        return "%" if column.startswith("acc") else ""
    if o.source == "lut":
        try:
            return LookupTable.load(o.options.path).unit  # type: ignore[union-attr]
        except ValueError:  # a plot does not fail for a table that moved since the run
            return ""
    if o.source == "proxy":
        return "proxy, not accuracy"
    return _UNITS.get(o.source, "")


def objective_label(o: ObjectiveConfig) -> str:
    """Axis label: name, unit, direction, e.g. ``latency (ms, lower is better)``."""
    unit = objective_unit(o)
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
    if not (run_dir / CONFIG_FILE).is_file():
        raise ConfigError(f"{str(run_dir)!r} holds no {CONFIG_FILE}; is it a run directory?")
    config = config_module.load(run_dir / CONFIG_FILE)
    history = History.load(run_dir / HISTORY_FILE, [o.name for o in config.objectives])
    trace = []
    if (run_dir / HYPERVOLUME_FILE).is_file():
        lines = (run_dir / HYPERVOLUME_FILE).read_text().splitlines()[1:]
        trace = [(int(a), int(b), float(c)) for a, b, c in (line.split(",") for line in lines)]
    return RunData(run_dir, config, history.records, trace)


def default_table(config: Config) -> Path | None:
    """The run's table when every objective reads it and the file is there."""
    if config.table.path and all(o.source == "table" for o in config.objectives):
        path = Path(config.table.path)
        return path if path.is_file() else None
    return None


def true_front(table: BenchmarkTable, objectives: tuple[ObjectiveConfig, ...]) -> np.ndarray:
    """The table's feasible non-dominated rows, ``k x m`` in the objectives' own units."""
    values = np.stack([table.column(o.options.column) for o in objectives], axis=1)  # type: ignore[union-attr]
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


def _step_front(ax: plt.Axes, points: np.ndarray, ox: ObjectiveConfig, oy: ObjectiveConfig, **style) -> None:
    """Draws the 2-D non-dominated subset of ``points`` as a staircase."""
    if len(points) == 0:
        return
    y2 = torch.from_numpy(points[:, [0, 1]] * np.array([ox.sign, oy.sign]))
    front = points[pareto_mask(y2).numpy()]
    front = front[np.argsort(front[:, 0])]
    ax.step(front[:, 0], front[:, 1], where="post" if ox.sign == oy.sign else "pre", **style)


def pareto_figure(run: RunData, table: BenchmarkTable | None) -> plt.Figure:
    """All evaluations, the non-dominated feasible ones highlighted, constraints, the true front."""
    objectives = run.config.objectives
    pairs = list(itertools.combinations(range(len(objectives)), 2))
    fig, axes = plt.subplots(1, len(pairs), figsize=(6.4 * len(pairs), 5.2), squeeze=False)
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


def hypervolume_figure(run: RunData) -> plt.Figure:
    """Hypervolume (feasible points, fixed reference) against evaluations."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    if run.hypervolume:
        evals = [e for _, e, _ in run.hypervolume]
        hv = [h for _, _, h in run.hypervolume]
        ax.step(evals, hv, where="post", color="#4C72B0", marker="o", markersize=3, label="LatentNAS run")
    initial = run.config.search.initial
    ax.axvline(initial, color="0.5", linestyle=":", label=f"end of initial design ({initial})")
    units = " × ".join(objective_unit(o) or "1" for o in run.config.objectives)
    ax.set_xlabel("evaluations")
    ax.set_ylabel(f"hypervolume ({units})")
    ax.set_title(f"{run.config.name}: hypervolume vs evaluations")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def save(fig: plt.Figure, stem: Path) -> list[Path]:
    """Writes ``stem.png`` and ``stem.svg`` (deterministic metadata) and closes the figure."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    fig.savefig(png, dpi=120, metadata=_PNG_META)
    fig.savefig(svg, metadata=_SVG_META)
    plt.close(fig)
    return [png, svg]


def plot_run(run_dir: Path, table_path: Path | None = None) -> list[Path]:
    """Writes the run's plots; returns their paths."""
    run = load_run(run_dir)
    table_path = table_path or default_table(run.config)
    table = None
    if table_path is not None:
        if not all(o.source == "table" for o in run.config.objectives):
            raise ConfigError("--table: the true front needs every objective to be a table column")
        table = BenchmarkTable(table_path)
    out = run_dir / PLOTS_DIR
    return save(pareto_figure(run, table), out / "pareto") + save(hypervolume_figure(run), out / "hypervolume")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mobo.plot", description="Plot a run's Pareto front.")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--table", type=Path, help="benchmark table whose true front is drawn")
    args = parser.parse_args(argv)
    return write_files(lambda: plot_run(args.run_dir, args.table))


if __name__ == "__main__":
    raise SystemExit(main())
