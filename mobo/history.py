"""The evaluation history of a run: one row per finished evaluation, in the order they finished,
written atomically."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from spaces.io import atomic_write_csv


@dataclass(frozen=True)
class Evaluation:
    """One finished evaluation.

    Attributes:
        index: 0-based position in the history.
        iteration: 0 for the initial design, then the BO iteration.
        arch: the architecture's string form.
        key: its canonical key.
        values: objective name -> value (``NaN`` where the evaluation failed).
        feasible: every constraint holds (``False`` when failed).
        failed: an evaluator raised or returned NaN.
        error: the failure message (empty when not failed).
        seconds: wall time of the evaluation (s).
        extra: derived columns written alongside (e.g. ``reward``).
        started: when it started, in seconds since the epoch (``NaN``: unknown, e.g. told).
        ended: when it ended (``NaN``: unknown).
        worker: where it ran (``local``, or Ray's ``node:pid`` per group of objectives that need
            the same resources, joined by ``+``).
    """

    index: int
    iteration: int
    arch: str
    key: str
    values: dict[str, float]
    feasible: bool
    failed: bool
    error: str
    seconds: float
    extra: dict[str, float] = field(default_factory=dict)
    started: float = math.nan
    ended: float = math.nan
    worker: str = ""


_FIXED = ("index", "iteration", "arch", "key")
_TAIL = ("feasible", "failed", "error", "seconds")
_WHEN = ("started", "ended", "worker")  # not in the histories of earlier versions: optional when read


def _timestamp(t: float) -> str:
    """``t`` (s since the epoch) as ISO 8601 UTC with milliseconds; ``""`` when unknown."""
    if math.isnan(t):
        return ""
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds")


def _seconds(text: str | None) -> float:
    return datetime.fromisoformat(text).timestamp() if text else math.nan


class History:
    """The evaluations of a run, mirrored in ``history.csv``.

    Every :meth:`append` rewrites the file atomically (temporary file + rename),
    so a process killed at any moment leaves the rows written before intact.

    Args:
        path: the CSV file.
        objectives: objective names, in column order.
        extra: names of derived columns (written, not read back).
    """

    def __init__(self, path: Path, objectives: Sequence[str], extra: Sequence[str] = ()) -> None:
        self.path = Path(path)
        self.objectives = tuple(objectives)
        self.extra = tuple(extra)
        self.records: list[Evaluation] = []

    @property
    def header(self) -> list[str]:
        return [*_FIXED, *self.objectives, *_TAIL, *_WHEN, *self.extra]

    def __len__(self) -> int:
        return len(self.records)

    @property
    def archs(self) -> set[str]:
        """String forms of every evaluated architecture (the search never repeats one)."""
        return {r.arch for r in self.records}

    def successful(self, reward: str | None = None) -> list[Evaluation]:
        """The evaluations that did not fail (with ``reward``, those whose reward is a number too)."""
        good = [r for r in self.records if not r.failed]
        return good if reward is None else [r for r in good if not math.isnan(r.extra.get(reward, math.nan))]

    @property
    def last_iteration(self) -> int:
        return max((r.iteration for r in self.records), default=-1)

    def append(self, evaluation: Evaluation) -> None:
        self.records.append(evaluation)
        self.save()

    def save(self) -> None:
        rows = []
        for r in self.records:
            values = ["" if math.isnan(r.values[n]) else repr(r.values[n]) for n in self.objectives]
            extra = ["" if math.isnan(r.extra.get(n, math.nan)) else repr(r.extra[n]) for n in self.extra]
            rows.append(
                [r.index, r.iteration, r.arch, r.key, *values, int(r.feasible), int(r.failed), r.error,
                 f"{r.seconds:.4f}", _timestamp(r.started), _timestamp(r.ended), r.worker, *extra]
            )
        atomic_write_csv(self.path, self.header, rows)

    @classmethod
    def load(cls, path: Path, objectives: Sequence[str], extra: Sequence[str] = ()) -> "History":
        """Reads ``history.csv`` (an absent file is an empty history).

        Raises:
            ValueError: when the file's columns do not match the objectives, or a row is damaged
                (naming the file and row).
        """
        history = cls(path, objectives, extra)
        if not history.path.exists():
            return history
        with history.path.open(newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in (*_FIXED, *history.objectives, *_TAIL) if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{history.path}: missing column(s) {', '.join(missing)}")
            for line, row in enumerate(reader, start=2):
                try:
                    history.records.append(_evaluation(row, history.objectives, history.extra))
                except (TypeError, ValueError) as err:
                    raise ValueError(f"{history.path}, row {line}: damaged ({err}); the file is written "
                                     f"atomically, so something else changed it: restore it, or delete "
                                     f"that row and the ones after it to re-evaluate them") from None
                if history.records[-1].index != len(history.records) - 1:
                    raise ValueError(f"{history.path}, row {line}: index {history.records[-1].index}, expected "
                                     f"{len(history.records) - 1}; restore the file")
        return history


def _evaluation(row: dict[str, str | None], objectives: Sequence[str], extra: Sequence[str]) -> Evaluation:
    """One row of ``history.csv``; a missing cell (a cut row) raises ``TypeError``."""
    return Evaluation(
        index=int(row["index"]),  # type: ignore[arg-type]
        iteration=int(row["iteration"]),  # type: ignore[arg-type]
        arch=str(row["arch"]),
        key=str(row["key"]),
        values={n: float(row[n]) if row[n] else math.nan for n in objectives},  # type: ignore[arg-type]
        feasible=row["feasible"] == "1",
        failed=row["failed"] == "1",
        error=str(row["error"]),
        seconds=float(row["seconds"]),  # type: ignore[arg-type]
        extra={n: float(row[n]) for n in extra if row.get(n)},  # type: ignore[arg-type]
        started=_seconds(row.get("started")),
        ended=_seconds(row.get("ended")),
        worker=row.get("worker") or "",
    )
