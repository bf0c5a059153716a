"""Benchmark tables: one row per architecture string, one column per measured quantity."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np


class BenchmarkTable:
    """A CSV table with an ``arch`` column (e.g. ``nb201.csv``); any other column is numeric.

    Args:
        path: the CSV file.

    Raises:
        ValueError: when the file is missing, has no ``arch`` column, or repeats an arch.
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
