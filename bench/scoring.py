"""Scores of a set of evaluated architectures on a benchmark-table problem.

The ROI hypervolume ratio is the one defined in ``shared/benchmarks/README.md``:
reference point = (75th percentile of accuracy, median latency[, median
energy]) over the whole table; score = hypervolume of the evaluated set above
it / hypervolume of all rows above it (1.0 = the whole true front in the
region found).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mobo.objectives.table import BenchmarkTable
from mobo.pareto import hypervolume, pareto_mask


@dataclass(frozen=True)
class Problem:
    """One benchmark problem: an accuracy column (maximized) and cost columns (minimized).

    Attributes:
        name: e.g. ``acc_cifar10/lat_raspi4_ms``.
        columns: the accuracy column first, then latency (and energy).
    """

    name: str
    columns: tuple[str, ...]


class Scorer:
    """Scores evaluated architecture strings on ``problem`` against the whole table.

    Args:
        table: the benchmark table.
        problem: its columns.
    """

    def __init__(self, table: BenchmarkTable, problem: Problem) -> None:
        self.table = table
        self.problem = problem
        values = np.stack([table.column(c) for c in problem.columns], axis=1)
        signs = np.array([1.0] + [-1.0] * (len(problem.columns) - 1))
        self.y = torch.from_numpy(values * signs)  # n x m, maximized
        ref = [np.percentile(values[:, 0], 75)] + [np.median(values[:, k]) for k in range(1, values.shape[1])]
        self.roi_ref = torch.tensor(np.array(ref) * signs)
        self.roi_total = hypervolume(self.y, self.roi_ref)
        front = pareto_mask(self.y)
        self.front_rows = set(torch.nonzero(front).flatten().tolist())
        nadir = self.y[front].min(dim=0).values
        span = self.y[front].max(dim=0).values - nadir
        self.full_ref = nadir - 0.1 * span
        self.full_total = hypervolume(self.y, self.full_ref)
        in_roi = (self.y > self.roi_ref).all(dim=-1)
        self.front_in_roi = {i for i in self.front_rows if bool(in_roi[i])}

    def rows(self, archs: Sequence[str]) -> list[int]:
        return [self.table.row_of[a] for a in archs]

    def roi_ratio(self, archs: Sequence[str]) -> float:
        """Hypervolume of ``archs`` above the ROI reference / that of the whole table."""
        return hypervolume(self.y[self.rows(archs)], self.roi_ref) / self.roi_total

    def full_ratio(self, archs: Sequence[str]) -> float:
        """The same with the reference 10 % of the true front's range beyond its nadir."""
        return hypervolume(self.y[self.rows(archs)], self.full_ref) / self.full_total

    def recall(self, archs: Sequence[str]) -> float:
        """Share of the true Pareto-optimal rows inside the ROI that ``archs`` contains."""
        if not self.front_in_roi:
            return math.nan
        return len(self.front_in_roi & set(self.rows(archs))) / len(self.front_in_roi)

    def trace(self, archs: Sequence[str]) -> list[float]:
        """ROI ratio after each evaluation (non-decreasing)."""
        out: list[float] = []
        rows = self.rows(archs)
        for k in range(1, len(rows) + 1):
            # the hypervolume only changes when a point enters the ROI
            if k > 1 and not bool((self.y[rows[k - 1]] > self.roi_ref).all()):
                out.append(out[-1])
            else:
                out.append(hypervolume(self.y[rows[:k]], self.roi_ref) / self.roi_total)
        return out


def evaluations_to(trace: Sequence[float], level: float) -> float:
    """The first evaluation count at which ``trace`` reaches ``level`` (``NaN`` if never)."""
    for k, value in enumerate(trace, start=1):
        if value >= level:
            return float(k)
    return math.nan


def add_problem_arguments(parser: argparse.ArgumentParser) -> None:
    """``--table``, ``--accuracy``, ``--latency`` and ``--energy``: one problem of a benchmark table."""
    parser.add_argument("--table", required=True, type=Path)
    parser.add_argument("--accuracy", required=True)
    parser.add_argument("--latency", required=True)
    parser.add_argument("--energy")


def problem_from_arguments(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[BenchmarkTable, Problem]:
    """The table and problem that :func:`add_problem_arguments` named; a column the table
    lacks is a usage error that names it."""
    table = BenchmarkTable(args.table)
    columns = tuple(c for c in (args.accuracy, args.latency, args.energy) if c)
    for column in columns:
        try:
            table.check_column(column)
        except ValueError as err:
            parser.error(str(err))
    return table, Problem("/".join(columns), columns)
