"""Benchmark tables (one row per architecture string, one column per measured quantity) and
the ``table`` objective source that reads one column."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from mobo.objectives.base import BuildContext, Evaluator, ObjectiveSource, register
from spaces import Arch, SearchSpace

if TYPE_CHECKING:
    from mobo.config import Config


class BenchmarkTable:
    """A CSV table with an ``arch`` column (e.g. ``nb201.csv``); any other column is numeric.

    Args:
        path: the CSV file.

    Raises:
        ValueError: when the file is missing, has no ``arch`` column, a row of another length
            than the header, or an arch twice.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ValueError(f"benchmark table {str(self.path)!r} does not exist")
        with self.path.open(newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if not header or "arch" not in header:
                raise ValueError(f"benchmark table {str(self.path)!r} has no 'arch' column")
            rows = list(reader)
        for i, row in enumerate(rows):
            if len(row) != len(header):
                raise ValueError(f"benchmark table {str(self.path)!r}, row {i + 2}: {len(row)} cells, the header "
                                 f"has {len(header)}")
        self.columns: tuple[str, ...] = tuple(header)
        arch_col = header.index("arch")
        self.archs: list[str] = [row[arch_col] for row in rows]
        self.row_of: dict[str, int] = {}
        for i, arch in enumerate(self.archs):
            if arch in self.row_of:
                raise ValueError(f"benchmark table {str(self.path)!r}: arch {arch!r} appears twice")
            self.row_of[arch] = i
        self._raw = {name: [row[j] for row in rows] for j, name in enumerate(header) if name != "arch"}
        self._numeric: dict[str, np.ndarray] = {}

    def check_column(self, column: str) -> None:
        """Raises ``ValueError`` naming ``column`` and the available ones if it is absent."""
        if column not in self._raw:
            available = ", ".join(c for c in self.columns if c != "arch")
            raise ValueError(f"column {column!r} is not in table {str(self.path)!r}; columns: {available}")

    def column(self, column: str) -> np.ndarray:
        """The values of ``column`` as floats (``NaN`` where empty), in row order."""
        self.check_column(column)
        if column not in self._numeric:
            values = []
            for i, text in enumerate(self._raw[column]):
                try:
                    values.append(float(text) if text.strip() else math.nan)
                except ValueError:
                    raise ValueError(
                        f"table {str(self.path)!r}: column {column!r}, row {i + 2}: {text!r} is not a number"
                    ) from None
            self._numeric[column] = np.asarray(values, dtype=np.float64)
        return self._numeric[column]

    def value(self, arch: str, column: str) -> float:
        """The value of ``column`` for the architecture string ``arch`` (matched exactly)."""
        values = self.column(column)
        if arch not in self.row_of:
            raise KeyError(f"architecture {arch!r} is not in table {str(self.path)!r}")
        return float(values[self.row_of[arch]])


_SUFFIX_UNITS = (("_ms", "ms"), ("_mj", "mJ"), ("_pct", "%"))


class TableLookup:
    """Evaluator: the value of one table column for the architecture's string (exact match)."""

    def __init__(self, space: SearchSpace, table: BenchmarkTable, column: str) -> None:
        table.check_column(column)
        self.space = space
        self.table = table
        self.column = column

    def __call__(self, arch: Arch) -> float:
        return self.table.value(self.space.format(arch), self.column)


@register
@dataclass(frozen=True)
class TableSource(ObjectiveSource):
    """``source: table``: one column of the benchmark table (``table.path``).

    Attributes:
        column: the column; its unit is read from its name (``_ms``, ``_mj``, ``_pct``
            suffixes; ``acc*`` columns are accuracies in %).
    """

    column: str
    name: ClassVar[str] = "table"
    error_key: ClassVar[str] = "column"

    def unit(self) -> str:
        column = self.column.lower()
        for suffix, unit in _SUFFIX_UNITS:
            if column.endswith(suffix):
                return unit
        return "%" if column.startswith("acc") else ""

    def check(self, objective: str, config: Config) -> None:
        if not config.table.path:
            raise ValueError(f"table.path: objective {objective!r} reads the table, but no table.path is set")

    def build(self, context: BuildContext) -> Evaluator:
        if context.table is None:
            raise ValueError("no table.path is set")
        return TableLookup(context.space, context.table, self.column)
