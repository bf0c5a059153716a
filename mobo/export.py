"""Export the Pareto front of a run.

Usage::

    python -m mobo.export RUN_DIR --format csv|json|arch [--out FILE]
    python -m mobo.export RUN_DIR --format yaml|onnx [--out DIR]

The front is derived from the run's ``history.csv`` (so a run stopped between
two iterations exports every evaluation it finished): the feasible,
non-dominated architectures with their objectives, parameters (M), MFLOPs,
NetScore and Information Density. ``arch`` writes one architecture string per line.
``yaml`` (YOLO space: YOLOv7 model YAML) and ``onnx`` (any space) write one file
per Pareto network into a directory (default ``RUN_DIR/pareto_networks``), named by
its history index and a hash of its string, and ``manifest.csv`` there: file,
architecture, objectives and the state of the weights (untrained).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mobo.config import ConfigError, ObjectiveConfig
from mobo.network_files import NETWORK_FORMATS, write_networks
from mobo.rundir import RunDir
from mobo.results import NetworkCost, best_first, json_safe, pareto_rows, pareto_table
from spaces.io import atomic_write_text
from spaces import SearchSpace, get_space

FORMATS = ("csv", "json", "arch", *NETWORK_FORMATS)


def front_and_space(run_dir: Path) -> tuple[list[dict[str, Any]], SearchSpace, tuple[ObjectiveConfig, ...]]:
    """The Pareto rows of the run in ``run_dir``, the run's search space and its objectives."""
    run = RunDir(run_dir)
    config = run.read_config()
    history = run.history(config)
    space = get_space(config.space.name, **config.space.network)
    return pareto_rows(history.records, config, NetworkCost(space)), space, config.objectives


def render(rows: list[dict[str, Any]], objectives: Sequence[ObjectiveConfig], fmt: str) -> str:
    """The rows as CSV (as ``pareto.csv``: :func:`mobo.results.pareto_table`), JSON (full
    precision) or arch strings (one per line)."""
    if fmt == "arch":  # in pareto.csv's order
        return "".join(f"{row['arch']}\n" for row in best_first(rows, objectives))
    if fmt == "json":
        return json.dumps(json_safe(rows), indent=2) + "\n"
    buf = io.StringIO()
    if rows:
        header, table = pareto_table(rows, objectives)
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(table)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mobo.export", description="Export a run's Pareto front.")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--format", choices=FORMATS, default="csv")
    parser.add_argument("--out", type=Path, help="write here instead of printing (yaml/onnx: a directory)")
    args = parser.parse_args(argv)
    try:
        rows, space, objectives = front_and_space(args.run_dir)
        if args.format in NETWORK_FORMATS:
            out_dir = args.out or RunDir(args.run_dir).file(RunDir.NETWORKS)
            paths = write_networks(space, rows, [o.name for o in objectives], args.format, out_dir)
            print(f"wrote {len(paths) - 1} {args.format} file(s) and {paths[-1].name} to {out_dir} "
                  f"(untrained weights: see the manifest)")
            return 0
        text = render(rows, objectives, args.format)
    except (ConfigError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.out is None:
        sys.stdout.write(text)
    else:
        atomic_write_text(args.out, text)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
