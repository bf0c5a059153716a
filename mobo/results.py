"""What a run's history says: feasibility, the reference point, the hypervolume trace, the Pareto front.

These functions read the history and the config only, so ``history.csv`` is
the single source of truth: the search, ``mobo.export`` and the plots derive
the same front from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from mobo.config import Config, ObjectiveConfig
from mobo.history import Evaluation
from mobo.objectives.table import BenchmarkTable, TableSource
from mobo.pareto import hypervolume, information_density, netscore, pareto_mask
from mobo.rundir import RunDir
from spaces import SearchSpace
from spaces.base import NetworkBuilder


@dataclass(frozen=True)
class SearchResult:
    """Where a finished (or stopped) search left its results."""

    run_dir: Path
    evaluations: int
    pareto_size: int
    hypervolume: float


def is_feasible(values: Mapping[str, float], objectives: Sequence[ObjectiveConfig]) -> bool:
    """Whether every constraint holds (``False`` when a value is missing)."""
    for o in objectives:
        v = values.get(o.name, math.nan)
        if math.isnan(v):
            return False
        if o.at_most is not None and v > o.at_most:
            return False
        if o.at_least is not None and v < o.at_least:
            return False
    return True


def maximize_form(records: Sequence[Evaluation], objectives: Sequence[ObjectiveConfig]) -> Tensor:
    """``n x m`` values with every column maximized (``sign * value``), float64."""
    return torch.tensor(
        [[o.sign * r.values[o.name] for o in objectives] for r in records], dtype=torch.float64
    ).reshape(len(records), len(objectives))


def reference_point(
    records: Sequence[Evaluation], objectives: Sequence[ObjectiveConfig], focus_quantile: float | None = None
) -> dict[str, float]:
    """The hypervolume reference point, in the objectives' own units.

    Per objective: its ``reference`` if set; else its constraint bound (the
    worst value that still counts); else its ``reference_quantile`` (default:
    the median) over the feasible evaluations of the initial design (all
    successful ones if none is feasible): the front that counts is the one
    better than a typical architecture of the space in every objective, so the
    search spends its budget on architectures that are accurate *and* fast,
    not on the extremes (a 10 %-accuracy cell that is fastest of all).
    ``focus_quantile`` raises an inferred maximized objective's quantile to at
    least this share (the accurate corner, ``search.focus_every``).

    Raises:
        ValueError: when an objective has neither a set reference nor any
            successful evaluation to infer one from.
    """
    ok = [r for r in records if not r.failed]
    feasible = [r for r in ok if r.feasible] or ok
    ref: dict[str, float] = {}
    for o in objectives:
        if o.reference is not None:
            ref[o.name] = o.reference
            continue
        bound = o.at_most if o.direction == "minimize" else o.at_least
        if bound is not None:
            ref[o.name] = bound
            continue
        if not feasible:
            raise ValueError(
                f"cannot infer the reference point of objective {o.name!r}: every evaluation failed; "
                f"set objectives.{o.name}.reference"
            )
        values = torch.tensor([r.values[o.name] for r in feasible], dtype=torch.float64)
        if o.direction == "maximize":
            share = max(o.reference_quantile, focus_quantile or 0.0)
        else:
            share = 1.0 - o.reference_quantile
        ref[o.name] = float(torch.quantile(values, share))
    return ref


def maximize_reference(ref: Mapping[str, float], objectives: Sequence[ObjectiveConfig]) -> Tensor:
    """A reference point (objective name -> value, own units) in maximize form (``m``)."""
    return torch.tensor([o.sign * ref[o.name] for o in objectives], dtype=torch.float64)


def hypervolume_of(
    records: Sequence[Evaluation], objectives: Sequence[ObjectiveConfig], ref: Mapping[str, float]
) -> float:
    """Hypervolume of the feasible evaluations above the reference point."""
    good = [r for r in records if r.feasible and not r.failed]
    return hypervolume(maximize_form(good, objectives), maximize_reference(ref, objectives))


def hypervolume_trace(
    records: Sequence[Evaluation], objectives: Sequence[ObjectiveConfig], ref: Mapping[str, float]
) -> list[tuple[int, int, float]]:
    """``(iteration, evaluations so far, hypervolume)`` at the end of every iteration."""
    trace = []
    for it in sorted({r.iteration for r in records}):
        upto = [r for r in records if r.iteration <= it]
        trace.append((it, len(upto), hypervolume_of(upto, objectives, ref)))
    return trace


def pareto_records(records: Sequence[Evaluation], objectives: Sequence[ObjectiveConfig]) -> list[Evaluation]:
    """The feasible, successful, non-dominated evaluations (history order)."""
    good = [r for r in records if r.feasible and not r.failed]
    mask = pareto_mask(maximize_form(good, objectives))
    return [r for r, keep in zip(good, mask.tolist()) if keep]


def pareto_rows(
    records: Sequence[Evaluation],
    config: Config,
    params_flops: Callable[[str], tuple[float, float]],
) -> list[dict[str, Any]]:
    """One row per Pareto architecture, with its cost and efficiency scores.

    Args:
        params_flops: arch string -> (parameters in millions, MFLOPs) of the
            space's network.

    Returns:
        Rows with ``index``, ``iteration``, ``arch``, ``key``, every objective,
        ``params_m``, ``mflops``, ``netscore`` and ``information_density``
        (the last two when an accuracy objective exists and is not a proxy,
        since both scores are defined on accuracy in %; MACs = FLOPs / 2).
    """
    acc = config.accuracy_objective
    if acc is not None and acc.source.is_proxy:
        acc = None
    rows = []
    for r in pareto_records(records, config.objectives):
        params_m, mflops = params_flops(r.arch)
        row: dict[str, Any] = {"index": r.index, "iteration": r.iteration, "arch": r.arch, "key": r.key}
        row.update({o.name: r.values[o.name] for o in config.objectives})
        row.update(params_m=params_m, mflops=mflops)
        if acc is not None:
            a = r.values[acc.name]
            row.update(netscore=netscore(a, params_m, mflops / 2), information_density=information_density(a, params_m))
        rows.append(row)
    return rows


class NetworkCost:
    """``arch string -> (parameters in millions, MFLOPs)`` of the space's network, cached
    (``NaN`` for a space without networks)."""

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self._cache: dict[str, tuple[float, float]] = {}

    def __call__(self, arch: str) -> tuple[float, float]:
        if not isinstance(self.space, NetworkBuilder):
            return math.nan, math.nan
        if arch not in self._cache:
            parsed = self.space.parse(arch)
            self._cache[arch] = (self.space.params(parsed) / 1e6, self.space.flops(parsed) / 1e6)
        return self._cache[arch]


def json_safe(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with NaN replaced by ``None`` (JSON has no NaN)."""
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()} for row in rows
    ]


_UNIT_SUFFIXES = {"%": "pct", "ms": "ms", "mJ": "mj", "M": "m", "MFLOPs": "mflops"}


def csv_column(o: ObjectiveConfig) -> str:
    """An objective's column in an exported table: its name with the unit's suffix
    (``accuracy_pct``, ``latency_ms``), unless the name already ends with it."""
    suffix = _UNIT_SUFFIXES.get(o.source.unit(), "")
    return o.name if not suffix or o.name.lower().endswith(f"_{suffix}") else f"{o.name}_{suffix}"


def best_first(rows: Sequence[Mapping[str, Any]], objectives: Sequence[ObjectiveConfig]) -> list[Mapping[str, Any]]:
    """Pareto rows sorted best-first by the first objective."""
    first = objectives[0]
    return sorted(rows, key=lambda r: first.sign * float(r[first.name]), reverse=True)


def pareto_table(rows: Sequence[Mapping[str, Any]], objectives: Sequence[ObjectiveConfig]
                 ) -> tuple[list[str], list[list[Any]]]:
    """:func:`pareto_rows` as a table to read: objective columns named with their units, numbers
    rounded to 6 significant digits, rows best-first by the first objective.

    Returns:
        The header and the rows.
    """
    ordered = best_first(rows, objectives)
    names = {o.name: csv_column(o) for o in objectives}
    header = ["index", "iteration", "arch", "key", *(o.name for o in objectives), "params_m", "mflops", "netscore",
              "information_density"]
    header = [h for h in header if not ordered or h in ordered[0]]

    def cell(value: Any) -> Any:
        return f"{value:.6g}" if isinstance(value, float) else value

    return [names.get(h, h) for h in header], [[cell(r[h]) for h in header] for r in ordered]


def default_table(config: Config) -> Path | None:
    """The run's table when every objective reads it and the file is there."""
    if config.table.path and all(isinstance(o.source, TableSource) for o in config.objectives):
        path = Path(config.table.path)
        return path if path.is_file() else None
    return None


def true_front(table: BenchmarkTable, objectives: Sequence[ObjectiveConfig]) -> np.ndarray:
    """The table's feasible non-dominated rows, ``k x m`` in the objectives' own units (its
    hypervolume is the whole table's)."""
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


def front_hypervolume(table: BenchmarkTable, objectives: Sequence[ObjectiveConfig], ref: Mapping[str, float]) -> float:
    """The hypervolume of the table's true front above ``ref`` (what a search that found the
    whole front would reach)."""
    truth = true_front(table, objectives) * np.array([o.sign for o in objectives])
    return hypervolume(torch.from_numpy(truth), maximize_reference(ref, objectives))


def write_results(
    run: RunDir,
    records: Sequence[Evaluation],
    config: Config,
    space_name: str,
    ref: Mapping[str, float],
    params_flops: Callable[[str], tuple[float, float]],
) -> tuple[int, float]:
    """Rewrites a run's ``hypervolume.csv``, ``pareto.csv`` (:func:`pareto_table`) and
    ``pareto.json`` (full precision, history order) from its history.

    Returns:
        The size of the Pareto front and its hypervolume.
    """
    trace = hypervolume_trace(records, config.objectives, ref)
    hv = trace[-1][2] if trace else 0.0
    run.write_hypervolume(trace)
    rows = pareto_rows(records, config, params_flops)
    run.write_pareto(*pareto_table(rows, config.objectives), {
        "space": space_name,
        "objectives": [{"name": o.name, "direction": o.direction, "source": o.source.name, "at_most": o.at_most,
                        "at_least": o.at_least} for o in config.objectives],
        "reference_point": dict(ref),
        "hypervolume": hv,
        "evaluations": len(records),
        "front": json_safe(rows),
    })
    return len(rows), hv


def fixed_reference(run: RunDir, records: Sequence[Evaluation], objectives: Sequence[ObjectiveConfig]) -> dict[str, float]:
    """The run's reference point: read from the run, else inferred (:func:`reference_point`) and
    stored, once, after the initial design.

    Raises:
        ValueError: when it must be inferred and no evaluation succeeded (naming the first error).
    """
    ref = run.read_reference()
    if ref is None:
        try:
            ref = reference_point(records, objectives)
        except ValueError as err:
            first = next((r.error for r in records if r.failed), "")
            raise ValueError(f"{err}{f' (first error: {first})' if first else ''}") from None
        run.write_reference(ref)
    return ref
