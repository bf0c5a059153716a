"""The Python API: ``mobo.run(config, evaluators=...)`` for a whole search, ``mobo.Search`` for
ask/tell, and the result object both leave behind."""

from __future__ import annotations

import csv
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mobo import config as config_module
from mobo.config import Config
from mobo.loop import Search
from mobo.network_files import write_networks
from mobo.objectives import Evaluator
from mobo.report import write_report
from mobo.rundir import RunDir


@dataclass(frozen=True)
class RunResult:
    """A finished search's run directory, read back.

    Attributes:
        run_dir: the run directory.
        report: its ``report.html`` (``None`` when the pictures could not be drawn).
    """

    run_dir: Path
    report: Path | None = None

    def pareto_front(self) -> list[dict[str, Any]]:
        """The feasible non-dominated architectures: ``arch``, every objective, ``params_m``,
        ``mflops`` and, with an accuracy objective, ``netscore`` and ``information_density``."""
        return RunDir(self.run_dir).read_pareto()["front"]

    def hypervolume(self) -> float:
        """The front's hypervolume above the run's reference point (objectives' own units)."""
        return float(RunDir(self.run_dir).read_pareto()["hypervolume"])

    def history(self) -> list[dict[str, str]]:
        """Every evaluation in order, as the rows of ``history.csv``."""
        with RunDir(self.run_dir).file(RunDir.HISTORY).open(newline="") as f:
            return list(csv.DictReader(f))


def start(config: Config, run: RunDir, created: bool, **kwargs: Any) -> Search:
    """``Search(config, run.path, **kwargs)`` in a run directory the caller holds; a start that
    fails on its inputs removes the directory when the caller ``created`` it.

    Raises:
        ValueError: the input's error (a :class:`~mobo.config.ConfigError` names the key).
    """
    try:
        return Search(config, run.path, **kwargs)
    except ValueError:
        if created:
            shutil.rmtree(run.path, ignore_errors=True)
        raise


def finish(search: Search, run: RunDir) -> Path | None:
    """What every finished search writes beside its results: the plots and report, and the
    Pareto networks as files when ``export`` asks for them.

    Returns:
        The report, or ``None`` when the pictures could not be drawn (the results stand).
    """
    try:
        report: Path | None = write_report(run.path)
    except (OSError, ValueError) as err:
        print(f"warning: could not write the plots and report: {err}", file=sys.stderr)
        report = None
    formats = [fmt for fmt in ("yaml", "onnx") if getattr(search.config.export, fmt)]
    front = run.read_pareto()["front"] if formats else []
    for fmt in formats:
        paths = write_networks(search.space, front, [o.name for o in search.config.objectives], fmt,
                               run.file(RunDir.NETWORKS))
        print(f"wrote {len(paths) - 1} Pareto network(s) as {fmt} and {paths[-1].name} to {run.file(RunDir.NETWORKS)} "
              f"(untrained weights)")
    return report


def run(config: Config | Mapping[str, Any] | str | Path, evaluators: Mapping[str, Evaluator] | None = None,
        out: str | Path | None = None, progress: bool = True) -> RunResult:
    """Runs a whole search, as ``python -m mobo.search`` does, with Python functions as evaluators.

    Args:
        config: a validated :class:`~mobo.config.Config`, a mapping as the YAML file holds it,
            or the path of a YAML file. An objective the caller evaluates needs no ``source``.
        evaluators: objective name -> ``arch -> float``, for the objectives you evaluate.
        out: the run directory (default ``<output_root>/<name>-<timestamp>``); an existing run
            directory is resumed.
        progress: show progress bars.

    Returns:
        The run's results (:class:`RunResult`).
    """
    if isinstance(config, (str, Path)):
        config = config_module.load(config)
    elif not isinstance(config, Config):
        config = config_module.from_dict(dict(config))
    files = RunDir(out) if out is not None else RunDir.new(config)
    run_dir, created = files.path, not files.path.exists()
    with files.lock():
        search = start(config, files, created, evaluators=evaluators, progress=progress)
        search.run()
        return RunResult(run_dir, finish(search, files))
