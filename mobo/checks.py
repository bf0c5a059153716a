"""Checks of a search's inputs before its first evaluation: the table the objectives read,
the budget against the space, and a resumed run's files. Each failure is one message that
names the key, file, row or column."""

from __future__ import annotations

import logging
import math
from collections import Counter

from mobo.config import Config, ConfigError
from mobo.history import History
from mobo.objectives.table import BenchmarkTable, TableSource
from mobo.rundir import RunDir
from spaces import SearchSpace

log = logging.getLogger("latentnas")


def check_inputs(config: Config, space: SearchSpace, skip: set[str] = frozenset()) -> None:
    """Checks the budget against a finite space and the table every ``table`` objective reads
    (but those in ``skip``, evaluated by the caller's own functions).

    Raises:
        ConfigError: naming the key, file, column or row.
    """
    s = config.search
    if space.size is not None and s.budget > space.size:
        raise ConfigError(f"search.budget: {s.budget} evaluations exceed the {space.size:,} architectures of "
                          f"space {space.name!r}")
    columns = {o.name: o.source.column for o in config.objectives
               if isinstance(o.source, TableSource) and o.name not in skip}
    if not columns or not config.table.path:
        return
    table = BenchmarkTable(config.table.path)
    usable, unusable = check_table(table, columns, space, s.initial)
    if len(columns) == len(config.objectives) and (space.size is None or 2 * usable < space.size):
        size = "an unbounded number of" if space.size is None else f"{space.size:,}"
        raise ConfigError(f"table.path: {str(table.path)!r} has {usable:,} usable rows for the {size} architectures "
                          f"of space {space.name!r} ({unusable or 'no row unusable'}); every objective reads the "
                          f"table and the search samples the whole space, so most evaluations would fail: give a "
                          f"table of the whole space")


def check_table(table: BenchmarkTable, columns: dict[str, str], space: SearchSpace, needed: int) -> tuple[int, str]:
    """Every objective column numeric and finite or empty (missing), and at least ``needed``
    usable rows: an architecture string of the space (in its own string form) with every
    objective's value. Logs how many rows are unusable and why.

    Args:
        table: the benchmark table.
        columns: objective name -> its column.
        space: the search space.
        needed: the initial design's size.

    Returns:
        The number of usable rows, and why the others are not (counts and an example of each).

    Raises:
        ConfigError: naming the file, column and row of a bad value, or counting the unusable rows.
    """
    where = f"table.path: {str(table.path)!r}"
    values = {}
    for name, column in columns.items():
        try:
            values[name] = table.column(column)
        except ValueError as err:
            raise ConfigError(f"table.path: {err} (leave the cell empty for a missing value)") from None
        bad = [i for i, v in enumerate(values[name]) if math.isinf(v)]
        if bad:
            raise ConfigError(f"{where}: column {column!r}, row {bad[0] + 2}: infinite value")
    counts: Counter[str] = Counter()
    example: dict[str, str] = {}
    usable = 0
    for i, text in enumerate(table.archs):
        try:
            why = "" if space.format(space.parse(text)) == text else "not in the space's string form"
            detail = f"row {i + 2}: {text!r}"
        except ValueError as err:
            why, detail = f"not an architecture of space {space.name!r}", f"row {i + 2}: {err}"
        if not why:
            missing = [columns[n] for n in columns if math.isnan(values[n][i])]
            why, detail = (f"no value in column {missing[0]!r}", f"row {i + 2}") if missing else ("", "")
        if why:
            counts[why] += 1
            example.setdefault(why, detail)
        else:
            usable += 1
    summary = "; ".join(f"{n:,} {why} (e.g. {example[why]})" for why, n in counts.items())
    if usable < needed:
        raise ConfigError(f"{where}: {usable:,} usable rows of {len(table.archs):,}, fewer than the "
                          f"{needed} the initial design needs: {summary}")
    if counts:
        log.warning("table %s: %d of %d rows unusable: %s", table.path, len(table.archs) - usable,
                    len(table.archs), summary)
    return usable, summary


def check_resume(config: Config, run: RunDir, history: History) -> None:
    """A resumed run's budget and reference point.

    Raises:
        ConfigError: when the budget is below the evaluations done, or the run has left its
            initial design and its reference point is missing or damaged.
    """
    if len(history) > config.search.budget:
        raise ConfigError(f"search.budget: {config.search.budget} is below the {len(history)} evaluations the run "
                          f"{str(run.path)!r} holds")
    ref = run.read_reference()  # raises on a damaged file
    if history.last_iteration >= 1 and ref is None:
        raise ConfigError(f"{str(run.file(RunDir.REFERENCE))!r} is missing: the reference point was fixed after "
                          f"the initial design and recomputing it would change the results; restore the file")
