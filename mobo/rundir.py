"""The run directory: every file a search writes, by name, each written atomically.

Reading and writing a run's files goes through :class:`RunDir`, so the layout lives
in one place and the plots, the report and the exports need none of the search's
machinery (no BoTorch) to find them.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import yaml

from mobo.config import Config, ConfigError, absolute_paths, load, to_dict
from mobo.history import History
from spaces.io import FileLocked, atomic_save_torch, atomic_write_csv, atomic_write_json, atomic_write_text, file_lock

# run directories this process holds, with the depth of nested holds (the lock is re-entrant
# within a process: the command holds it around the search, which takes it again)
_HELD: dict[Path, int] = {}


class RunInUse(ValueError):
    """Another process works in the run directory."""


TIMING_HEADER = ("iteration", "observations", "fit_seconds", "candidate_seconds", "repeats", "candidates")


@dataclass(frozen=True)
class RunDir:
    """The files of one run under ``path``.

    Attributes:
        path: the run directory.
    """

    path: Path

    CONFIG = "config.yaml"
    HISTORY = "history.csv"
    REFERENCE = "reference_point.json"
    HYPERVOLUME = "hypervolume.csv"
    PARETO_CSV = "pareto.csv"
    PARETO_JSON = "pareto.json"
    LOG = "search.log"
    TIMING = "timing.csv"
    GVAE = "gvae/model.pt"
    GVAE_METRICS = "gvae/metrics.json"
    PLOTS = "plots"
    REPORT = "report.html"
    NETWORKS = "pareto_networks"
    LOCK = ".lock"
    PROPOSAL = "proposal.pt"
    ASKED = "asked.json"

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @classmethod
    def new(cls, config: Config) -> RunDir:
        """A new run's default directory: ``<output_root>/<name>-<timestamp>``."""
        return cls(Path(config.output_root) / f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}")

    def file(self, name: str) -> Path:
        """``path / name`` (``name`` one of the class's file names)."""
        return self.path / name

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Holds the run directory (created if needed) exclusively for the block: an OS file lock,
        so a second search on it, in this process or another, is refused at once; re-entrant in
        the block that holds it.

        Raises:
            RunInUse: naming the process that holds it.
        """
        key = self.path.resolve()
        if key in _HELD:
            _HELD[key] += 1
            try:
                yield
            finally:
                _HELD[key] -= 1
            return
        try:
            with file_lock(self.file(self.LOCK)):
                _HELD[key] = 1
                try:
                    yield
                finally:
                    del _HELD[key]
        except FileLocked as err:
            raise RunInUse(f"run directory {err}; wait for it to finish or stop it") from None

    def is_run(self) -> bool:
        """Whether the directory holds a run (its resolved ``config.yaml``)."""
        return self.file(self.CONFIG).is_file()

    # --- configuration and history ------------------------------------------------
    def write_config(self, config: Config) -> None:
        """Writes the resolved configuration (defaults filled in, the seed included), its data paths
        absolute: a config given as a mapping holds them relative to the working directory, and
        the saved file is read back relative to the run directory."""
        data = absolute_paths(to_dict(config), Path.cwd())
        atomic_write_text(self.file(self.CONFIG), yaml.safe_dump(data, sort_keys=False))

    def read_config(self) -> Config:
        """The run's configuration.

        Raises:
            ConfigError: when the directory holds no run, or its config is invalid.
        """
        if not self.is_run():
            raise ConfigError(f"{str(self.path)!r} holds no {self.CONFIG}; is it a run directory?")
        return load(self.file(self.CONFIG))

    def history(self, config: Config) -> History:
        """The run's history (empty when nothing was evaluated yet)."""
        extra = ["reward"] if config.search.mode == "reward" else []
        return History.load(self.file(self.HISTORY), [o.name for o in config.objectives], extra)

    # --- reference point, results -----------------------------------------------------
    def read_reference(self) -> dict[str, float] | None:
        """The stored reference point (objective name -> value), or ``None`` before it is fixed.

        Raises:
            ConfigError: when the file is not a mapping of names to finite numbers.
        """
        path = self.file(self.REFERENCE)
        if not path.exists():
            return None
        try:
            ref = json.loads(path.read_text())
            ok = isinstance(ref, dict) and all(isinstance(v, (int, float)) and math.isfinite(v) for v in ref.values())
        except ValueError:
            ok = False
        if not ok:
            raise ConfigError(f"{str(path)!r} is damaged (expected objective names mapped to finite numbers); "
                              f"restore it")
        return {str(k): float(v) for k, v in ref.items()}

    def write_reference(self, reference: dict[str, float]) -> None:
        atomic_write_json(self.file(self.REFERENCE), reference)

    def write_hypervolume(self, trace: Sequence[tuple[int, int, float]]) -> None:
        """``hypervolume.csv``: ``(iteration, evaluations, hypervolume)`` rows."""
        atomic_write_csv(self.file(self.HYPERVOLUME), ["iteration", "evaluations", "hypervolume"], trace)

    def read_hypervolume(self) -> list[tuple[int, int, float]]:
        path = self.file(self.HYPERVOLUME)
        if not path.is_file():
            return []
        rows = []
        for line in path.read_text().splitlines()[1:]:
            it, n, hv = line.split(",")
            rows.append((int(it), int(n), float(hv)))
        return rows

    def write_pareto(self, header: Sequence[str], rows: Sequence[Sequence[Any]], summary: dict[str, Any]) -> None:
        """``pareto.csv`` (``rows`` under ``header``) and ``pareto.json`` (``summary``)."""
        atomic_write_csv(self.file(self.PARETO_CSV), header, rows)
        atomic_write_json(self.file(self.PARETO_JSON), summary)

    def read_pareto(self) -> dict[str, Any]:
        return json.loads(self.file(self.PARETO_JSON).read_text())

    # --- the last proposal ---------------------------------------------------------------
    def write_proposal(self, iteration: int, archs: Sequence[str], state: dict[str, Any],
                       pending: dict[str, int]) -> None:
        """``proposal.pt``: the last BO step's picks, the proposer's state after it, and every
        architecture proposed and not evaluated yet (string form -> its step), so that a run
        killed with evaluations in flight resubmits them and then proposes what the
        uninterrupted run would have."""
        atomic_save_torch({"iteration": iteration, "archs": list(archs), "state": state, "pending": dict(pending)},
                          self.file(self.PROPOSAL))

    def read_proposal(self) -> dict[str, Any] | None:
        """The last proposal (``iteration``, ``archs``, ``state``), or ``None``.

        Raises:
            ConfigError: when the file is damaged.
        """
        path = self.file(self.PROPOSAL)
        if not path.exists():
            return None
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            ok = isinstance(blob, dict) and isinstance(blob.get("iteration"), int) and isinstance(blob.get("archs"), list)
        except Exception:  # noqa: BLE001 - any unreadable file gets one message
            ok = False
        if not ok:
            raise ConfigError(f"{str(path)!r} is damaged; restore it, or delete it to propose the next step anew "
                              f"(the rest of the run may then differ from an uninterrupted one)")
        return blob

    def unfinished(self, done: set[str], last_iteration: int) -> dict[str, int]:
        """The architectures proposed and not in ``done`` (string form -> the step that proposed
        them), in the order they were proposed: a resumed run evaluates them first."""
        saved = self.read_proposal()
        if saved is None:
            return {}
        if "pending" not in saved:  # written by an earlier version: only the last step's picks
            if saved["iteration"] < max(last_iteration, 1):
                return {}
            saved["pending"] = dict.fromkeys(saved["archs"], saved["iteration"])
        return {a: it for a, it in saved["pending"].items() if a not in done}

    # --- ask/tell --------------------------------------------------------------------------
    def read_asked(self) -> dict[str, int]:
        """Architectures asked and not told yet (string form -> the step that proposed them)."""
        path = self.file(self.ASKED)
        if not path.exists():
            return {}
        try:
            asked = json.loads(path.read_text())
            ok = isinstance(asked, dict) and all(isinstance(v, int) for v in asked.values())
        except ValueError:
            ok = False
        if not ok:
            raise ConfigError(f"{str(path)!r} is damaged (expected architectures mapped to step numbers); restore it")
        return asked

    def write_asked(self, asked: dict[str, int]) -> None:
        atomic_write_json(self.file(self.ASKED), asked)

    # --- timing -----------------------------------------------------------------------
    def read_timing(self) -> list[tuple[str, ...]]:
        """``timing.csv`` rows (one per BO step), as text."""
        path = self.file(self.TIMING)
        if not path.exists():
            return []
        with path.open(newline="") as f:
            return [tuple(row) for row in list(csv.reader(f))[1:]]

    def append_timing(self, row: Sequence[Any]) -> None:
        """Adds one BO step's row (:data:`TIMING_HEADER`), replacing the row of a step proposed again."""
        rows = [r for r in self.read_timing() if r[0] != str(row[0])]
        atomic_write_csv(self.file(self.TIMING), TIMING_HEADER, [*rows, row])
