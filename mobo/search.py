"""Run a hardware-aware architecture search.

Usage::

    python -m mobo.search CONFIG.yaml [--out DIR] [--seed S] [--budget N] [--set dotted.key=value ...]
    python -m mobo.search --resume RUN_DIR [--budget N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path


from mobo import config as config_module
from mobo.config import Config, ConfigError
from mobo.context import Interrupted, interruptible
from mobo.api import finish, start
from mobo.rundir import RunDir, RunInUse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mobo.search", description="Latent multi-objective BO search.")
    parser.add_argument("config", nargs="?", type=Path, help="the search's YAML configuration")
    parser.add_argument("--resume", type=Path, metavar="RUN_DIR", help="continue an interrupted run")
    parser.add_argument("--out", type=Path, help="run directory (default: <output_root>/<name>-<timestamp>)")
    parser.add_argument("--seed", type=int, help="overrides 'seed'")
    parser.add_argument("--budget", type=int, help="overrides 'search.budget'")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override any config key, e.g. --set objectives.latency.column=lat_pixel3_ms")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def resolve(args: argparse.Namespace) -> tuple[Config, Path]:
    """The validated config and the run directory the command line asks for."""
    overrides = list(args.overrides)
    if args.budget is not None:
        overrides.append(f"search.budget={args.budget}")
    if args.resume is not None:
        if args.config is not None or args.out is not None or args.seed is not None or args.overrides:
            raise ConfigError("--resume: give only the run directory (and optionally --budget)")
        path = args.resume / RunDir.CONFIG
        if not path.is_file():
            raise ConfigError(f"--resume: {str(args.resume)!r} holds no {RunDir.CONFIG}; is it a run directory?")
        return config_module.load(path, overrides), args.resume
    if args.config is None:
        raise ConfigError("give a config file, or --resume RUN_DIR")
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    config = config_module.load(args.config, overrides)
    run_dir = args.out or RunDir.new(config).path
    if (run_dir / RunDir.HISTORY).exists() or (run_dir / RunDir.CONFIG).exists():
        raise ConfigError(f"--out: {str(run_dir)!r} already holds a run; continue it with --resume {run_dir}")
    return config, run_dir


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config, run_dir = resolve(args)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    run = RunDir(run_dir)
    created = not run_dir.exists()
    try:
        with interruptible(), run.lock():
            return _search(config, run, args, created)
    except RunInUse as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (Interrupted, KeyboardInterrupt) as stop:
        if created and not run.is_run():  # stopped before the run began: nothing to resume
            shutil.rmtree(run_dir, ignore_errors=True)
            print("\ninterrupted before the run began", file=sys.stderr)
        else:
            print(f"\ninterrupted: resume with python -m mobo.search --resume {run_dir}", file=sys.stderr)
        return stop.exit_status if isinstance(stop, Interrupted) else 130
    except OSError as err:
        print(f"error: {err}; resume with python -m mobo.search --resume {run_dir} once it is fixed",
              file=sys.stderr)
        return 2


def _search(config: Config, run: RunDir, args: argparse.Namespace, created: bool) -> int:
    """The search in a run directory this process holds; a start that fails on its inputs leaves
    no directory behind."""
    if args.resume is None and (run.is_run() or run.file(RunDir.HISTORY).exists()):
        message = f"--out: {str(run.path)!r} already holds a run; continue it with --resume {run.path}"
        print(f"error: {message}", file=sys.stderr)
        return 2
    try:
        search = start(config, run, created, progress=not args.no_progress)
    except ValueError as err:  # a ConfigError too
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        result = search.run()
    except ValueError as err:  # e.g. no evaluation succeeded: the run directory keeps what was evaluated
        print(f"error: {err}", file=sys.stderr)
        return 2
    report = finish(search, run)
    print(f"run directory: {result.run_dir}")
    if report is not None:
        print(f"report: {report}")
    print(f"Pareto front: {result.run_dir / RunDir.PARETO_CSV} ({result.pareto_size} architectures, "
          f"{result.evaluations} evaluations, hypervolume {result.hypervolume:.6g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
