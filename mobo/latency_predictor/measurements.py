"""A user's latency measurements on a new device: a CSV with ``arch,latency_ms`` columns."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from spaces import SearchSpace

COLUMNS = ("arch", "latency_ms")


def read_measurements(path: str | Path, space: SearchSpace) -> dict[str, float]:
    """Reads ``arch,latency_ms`` rows (other columns are ignored).

    Args:
        path: the CSV file (a header row, then one row per measured architecture).
        space: the space the architecture strings belong to.

    Returns:
        Architecture string (as the space formats it) -> latency (ms), in file order; a row
        repeated with the same value counts once.

    Raises:
        ValueError: naming the file and row of an architecture the space cannot parse, a
            latency that is not a positive number, or an architecture measured twice with
            different values; or a missing file or column.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"measurements {str(path)!r} do not exist")
    with path.open(newline="") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise ValueError(f"measurements {str(path)!r}: no {', '.join(repr(c) for c in missing)} column; "
                             f"the header must name {', '.join(COLUMNS)}")
        arch_col, ms_col = (header.index(c) for c in COLUMNS)
        out: dict[str, float] = {}
        first_row: dict[str, int] = {}
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            where = f"measurements {str(path)!r}, row {line}"
            if len(row) <= max(arch_col, ms_col):
                raise ValueError(f"{where}: {len(row)} cells, the header has {len(header)}")
            try:
                arch = space.format(space.parse(row[arch_col].strip()))
            except ValueError as err:
                raise ValueError(f"{where}: {err}") from None
            text = row[ms_col].strip()
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{where}: latency_ms {text!r} is not a number") from None
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{where}: latency_ms {text!r} must be a positive number of milliseconds")
            if arch in out and out[arch] != value:
                raise ValueError(f"{where}: {arch!r} was measured as {out[arch]:g} ms in row {first_row[arch]} "
                                 f"and {value:g} ms here; keep one (e.g. their median)")
            if arch not in out:
                out[arch], first_row[arch] = value, line
    if not out:
        raise ValueError(f"measurements {str(path)!r} hold no rows")
    return out
