"""Objective sources: each turns an architecture into one number.

An evaluator is any callable ``arch -> float``. :func:`build_evaluators`
makes one per configured objective; a user can pass their own.
"""

from __future__ import annotations

from collections.abc import Callable

from mobo.objectives.latency import MeasuredLatency
from mobo.objectives.lut import LUTPrediction
from mobo.objectives.options import TableOptions
from mobo.objectives.proxy import ProxyScore
from mobo.objectives.table import BenchmarkTable
from mobo.objectives.training import TrainedAccuracy
from mobo.objectives.user import UserEvaluator
from spaces import Arch, SearchSpace

Evaluator = Callable[[Arch], float]


class TableLookup:
    """Evaluator: the value of one table column for the architecture's string (exact match)."""

    def __init__(self, space: SearchSpace, table: BenchmarkTable, column: str) -> None:
        table.check_column(column)
        self.space = space
        self.table = table
        self.column = column

    def __call__(self, arch: Arch) -> float:
        return self.table.value(self.space.format(arch), self.column)


def params_millions(space: SearchSpace) -> Evaluator:
    """Evaluator: parameters of the space's network (millions)."""
    return lambda arch: space.params(arch) / 1e6


def mflops(space: SearchSpace) -> Evaluator:
    """Evaluator: FLOPs of the space's network at batch 1 (millions)."""
    return lambda arch: space.flops(arch) / 1e6


def build_evaluator(
    source: str, options: object, space: SearchSpace, table: BenchmarkTable | None, seed: int
) -> Evaluator:
    """Makes the evaluator of one objective source (``options`` is the source's options dataclass)."""
    if source == "table":
        assert isinstance(options, TableOptions) and table is not None
        return TableLookup(space, table, options.column)
    makers: dict[str, Callable[[], Evaluator]] = {
        "measured_latency": lambda: MeasuredLatency(space, options),  # type: ignore[arg-type]
        "train": lambda: TrainedAccuracy(space, options, seed),  # type: ignore[arg-type]
        "lut": lambda: LUTPrediction(space, options),  # type: ignore[arg-type]
        "proxy": lambda: ProxyScore(space, options, seed),  # type: ignore[arg-type]
        "callable": lambda: UserEvaluator(space, options, seed),  # type: ignore[arg-type]
        "params": lambda: params_millions(space),
        "flops": lambda: mflops(space),
    }
    if source not in makers:
        raise ValueError(f"unknown objective source {source!r}")
    return makers[source]()


__all__ = ["BenchmarkTable", "Evaluator", "build_evaluator"]
