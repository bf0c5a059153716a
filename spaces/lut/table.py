"""The lookup-table file: sections of ``key -> cost`` entries, a unit, metadata.

JSON layout (the YOLOv7 ELAN table of ``../shared/benchmarks`` has this form)::

    {"unit": "ms",                       # or "mJ" for an energy table
     "meta": {...},                      # optional: host, torch version, settings
     "calibration": {...},               # optional: see spaces.lut.calibration
     "<section>": {"<name>": 1.23, ...}, # one or more sections of numbers
     "<other>": "text"}                  # other top-level strings are notes

An entry is addressed as ``section/name``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spaces.io import atomic_write_json
from spaces.lut.calibration import Calibration

RESERVED = ("unit", "meta", "calibration")


@dataclass
class LookupTable:
    """Costs per entry, predicting a network's cost as the sum of its entries.

    Attributes:
        entries: ``section/name -> cost`` (in ``unit``).
        unit: ``ms`` for latency, ``mJ`` for energy (any unit string is kept).
        meta: how the table was made (host, versions, settings).
        notes: other top-level strings of the file (e.g. ``compose``).
        calibration: a fitted correction of the sum, if any.
        source: the file it was read from (for error messages).
    """

    entries: dict[str, float]
    unit: str
    meta: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    calibration: Calibration | None = None
    source: str = "<memory>"

    @staticmethod
    def load(path: str | Path) -> "LookupTable":
        """Reads and validates a table file.

        Raises:
            ValueError: naming the file and the offending key: missing file,
                invalid JSON, no ``unit``, no section, a value that is not a
                finite non-negative number, a malformed calibration.
        """
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"lookup table {str(path)!r} does not exist")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"lookup table {str(path)!r} is not valid JSON: {err}") from None
        return LookupTable.from_dict(data, str(path))

    @staticmethod
    def from_dict(data: Any, source: str = "<memory>") -> "LookupTable":
        where = f"lookup table {source!r}"
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected a JSON object at the top level")
        unit = data.get("unit")
        if not isinstance(unit, str) or not unit:
            raise ValueError(f"{where}: 'unit' must be a string such as \"ms\" or \"mJ\", got {unit!r}")
        meta = data.get("meta", {})
        if not isinstance(meta, dict):
            raise ValueError(f"{where}: 'meta' must be an object")
        entries: dict[str, float] = {}
        notes: dict[str, str] = {}
        for section, values in data.items():
            if section in RESERVED:
                continue
            if isinstance(values, str):
                notes[section] = values
                continue
            if not isinstance(values, dict):
                raise ValueError(f"{where}: section {section!r} must be an object of name -> number")
            for name, value in values.items():
                key = f"{section}/{name}"
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                    raise ValueError(f"{where}: entry {key!r} must be a finite number, got {value!r}")
                if value < 0:
                    raise ValueError(f"{where}: entry {key!r} is negative ({value})")
                entries[key] = float(value)
        if not entries:
            raise ValueError(f"{where}: no section of entries (an object of name -> number)")
        calibration = None
        if data.get("calibration") is not None:
            try:
                calibration = Calibration.from_dict(data["calibration"])
            except ValueError as err:
                raise ValueError(f"{where}: {err}") from None
        return LookupTable(entries, unit, meta, notes, calibration, source)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"unit": self.unit, **self.notes, "meta": self.meta}
        if self.calibration is not None:
            data["calibration"] = self.calibration.to_dict()
        for key, value in self.entries.items():
            section, _, name = key.partition("/")
            data.setdefault(section, {})[name] = value
        return data

    def save(self, path: str | Path) -> None:
        """Writes the table atomically."""
        atomic_write_json(Path(path), self.to_dict())
        self.source = str(path)

    def total(self, keys: Sequence[str]) -> float:
        """The raw sum of the entries ``keys`` (a key counts once per occurrence).

        Raises:
            ValueError: naming the first key the table lacks.
        """
        total = 0.0
        for key in keys:
            value = self.entries.get(key)
            if value is None:
                section = key.partition("/")[0]
                known = [k for k in self.entries if k.startswith(section + "/")][:3]
                hint = f"; e.g. {', '.join(known)}" if known else f"; the table has no section {section!r}"
                raise ValueError(f"lookup table {self.source!r} has no entry {key!r}{hint}")
            total += value
        return total

    def predict(self, keys: Sequence[str], counts: Mapping[str, float], calibrated: bool = True) -> float:
        """The network's cost: the sum of its entries, corrected by the calibration when
        there is one and ``calibrated`` is set."""
        total = self.total(keys)
        if calibrated and self.calibration is not None:
            return self.calibration.apply(total, counts)
        return total
