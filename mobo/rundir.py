"""The run directory: every file a search writes, by name, each written atomically.

Reading and writing a run's files goes through :class:`RunDir`, so the layout lives
in one place and the plots, the report and the exports need none of the search's
machinery (no BoTorch) to find them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mobo.config import Config, ConfigError, to_dict
from mobo.history import History
from spaces.io import atomic_write_csv, atomic_write_json, atomic_write_text

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

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    def file(self, name: str) -> Path:
        """``path / name`` (``name`` one of the class's file names)."""
        return self.path / name

    def is_run(self) -> bool:
        """Whether the directory holds a run (its resolved ``config.yaml``)."""
        return self.file(self.CONFIG).is_file()

    # --- configuration and history ------------------------------------------------
    def write_config(self, config: Config) -> None:
        """Writes the resolved configuration (defaults filled in, the seed included)."""
        atomic_write_text(self.file(self.CONFIG), yaml.safe_dump(to_dict(config), sort_keys=False))

    def read_config(self) -> Config:
        """The run's configuration.

        Raises:
            ConfigError: when the directory holds no run, or its config is invalid.
        """
        from mobo import config as config_module

        if not self.is_run():
            raise ConfigError(f"{str(self.path)!r} holds no {self.CONFIG}; is it a run directory?")
        return config_module.load(self.file(self.CONFIG))

    def history(self, config: Config) -> History:
        """The run's history (empty when nothing was evaluated yet)."""
        extra = ["reward"] if config.search.mode == "reward" else []
        return History.load(self.file(self.HISTORY), [o.name for o in config.objectives], extra)

    # --- reference point, results -----------------------------------------------------
    def read_reference(self) -> dict[str, float] | None:
        """The stored reference point (objective name -> value), or ``None`` before it is fixed."""
        path = self.file(self.REFERENCE)
        return json.loads(path.read_text()) if path.exists() else None

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

    def write_pareto(self, header: Sequence[str], rows: Sequence[dict[str, Any]], summary: dict[str, Any]) -> None:
        """``pareto.csv`` (``rows`` under ``header``) and ``pareto.json`` (``summary``)."""
        atomic_write_csv(self.file(self.PARETO_CSV), header, [[row[h] for h in header] for row in rows])
        atomic_write_json(self.file(self.PARETO_JSON), summary)

    def read_pareto(self) -> dict[str, Any]:
        return json.loads(self.file(self.PARETO_JSON).read_text())

    # --- timing -----------------------------------------------------------------------
    def read_timing(self) -> list[tuple[str, ...]]:
        """``timing.csv`` rows (one per BO step), as text."""
        path = self.file(self.TIMING)
        if not path.exists():
            return []
        with path.open(newline="") as f:
            return [tuple(row) for row in list(csv.reader(f))[1:]]

    def write_timing(self, rows: Sequence[Sequence[Any]]) -> None:
        atomic_write_csv(self.file(self.TIMING), TIMING_HEADER, rows)
