"""The latency predictor's commands, in the order a user with a new board runs them::

    python -m mobo.latency_predictor fit --table TABLE [--columns lat_a,lat_b] --out MODEL
    python -m mobo.latency_predictor suggest MODEL --k 10 [--template M.csv]
    python -m mobo.latency_predictor adapt MODEL --measurements M.csv --out ADAPTED
    python -m mobo.latency_predictor predict ADAPTED [--archs FILE] --out PRED.csv
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from mobo.latency_predictor.fit import fit_table
from mobo.latency_predictor.measurements import COLUMNS, read_measurements
from mobo.latency_predictor.model import LatencyPredictor, PredictorSettings
from spaces import Arch, SearchSpace, get_space
from spaces.io import atomic_write_csv

DEFAULT_TABLE = Path("../shared/benchmarks/nb201.csv")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mobo.latency_predictor",
                                     description="Few-shot latency prediction for a new device.")
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fit", help="meta-train on the latency columns of a table, one column per device")
    f.add_argument("--table", type=Path, default=DEFAULT_TABLE, help=f"benchmark table (default {DEFAULT_TABLE})")
    f.add_argument("--columns", help="comma-separated latency columns (default: every lat_* column)")
    f.add_argument("--space", default="nb201", help="the space of the table's arch strings (default nb201)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--steps", type=int, default=PredictorSettings.steps, help="meta-training steps")
    f.add_argument("--out", type=Path, required=True, help="the predictor file to write")
    s = sub.add_parser("suggest", help="print the architectures to measure on the new device")
    s.add_argument("model", type=Path)
    s.add_argument("--k", type=int, default=10, help="how many (default 10)")
    s.add_argument("--template", type=Path, help="also write them as an arch,latency_ms CSV to fill in")
    a = sub.add_parser("adapt", help="fit the predictor to the new device's measurements")
    a.add_argument("model", type=Path)
    a.add_argument("--measurements", type=Path, required=True, help="CSV with columns arch,latency_ms")
    a.add_argument("--out", type=Path, required=True, help="the adapted predictor file to write")
    p = sub.add_parser("predict", help="predicted latency (ms) of architectures on the adapted device")
    p.add_argument("model", type=Path)
    p.add_argument("--archs", type=Path, help="one architecture string per line, or a CSV with an arch column "
                   "(default: every architecture of a finite space)")
    p.add_argument("--out", type=Path, required=True, help="CSV to write (arch,latency_ms)")
    return parser


def read_archs(path: Path, space: SearchSpace) -> list[Arch]:
    """The architectures of a file of strings, one a line, or of a CSV's ``arch`` column;
    a bad string's error names its line."""
    if not path.is_file():
        raise ValueError(f"architecture file {str(path)!r} does not exist")
    with path.open(newline="") as f:
        rows = list(csv.reader(f)) if path.suffix == ".csv" else [[line.rstrip("\n")] for line in f]
    column, start = 0, 1
    if path.suffix == ".csv":
        header = [h.strip() for h in rows[0]] if rows else []
        if "arch" not in header:
            raise ValueError(f"architecture file {str(path)!r} has no 'arch' column")
        column, start = header.index("arch"), 2
        rows = rows[1:]
    archs = []
    for line, row in enumerate(rows, start=start):
        text = row[column].strip() if len(row) > column else ""
        if not text:
            continue
        try:
            archs.append(space.parse(text))
        except ValueError as err:
            raise ValueError(f"architecture file {str(path)!r}, line {line}: {err}") from None
    if not archs:
        raise ValueError(f"architecture file {str(path)!r} holds no architectures")
    return archs


def _fit(args: argparse.Namespace) -> None:
    if args.steps < 1:
        raise ValueError(f"--steps must be positive, got {args.steps}")
    space = get_space(args.space)
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    start = time.perf_counter()
    model = fit_table(args.table, space, columns, replace(PredictorSettings(), steps=args.steps), args.seed,
                      progress=sys.stderr.isatty())
    model.save(args.out)
    print(f"meta-trained on {len(model.devices)} devices ({', '.join(model.devices)}) in "
          f"{time.perf_counter() - start:.0f} s")
    print(f"wrote {args.out}")


def _suggest(args: argparse.Namespace) -> None:
    if args.k < 1:
        raise ValueError(f"--k must be positive, got {args.k}")
    model = LatencyPredictor.load(args.model)
    space = get_space(model.space)
    archs = [space.format(a) for a in model.suggest(space, args.k)]
    for text in archs:
        print(text)
    if args.template is not None:
        atomic_write_csv(args.template, COLUMNS, [(text, "") for text in archs])
        print(f"wrote {args.template}: fill in latency_ms (ms, batch 1) for each row", file=sys.stderr)


def _adapt(args: argparse.Namespace) -> None:
    model = LatencyPredictor.load(args.model)
    space = get_space(model.space)
    measured = read_measurements(args.measurements, space)
    adapted = model.adapt(space, measured)
    predicted = adapted.predict(space, [space.parse(a) for a in measured]).tolist()
    error = statistics.median(abs(p - v) / v for p, v in zip(predicted, measured.values()))
    adapted.save(args.out)
    print(f"adapted to {len(measured)} measurements; on them the median error is {100 * error:.1f} %")
    print(f"wrote {args.out}")


def _predict(args: argparse.Namespace) -> None:
    model = LatencyPredictor.load(args.model)
    space = get_space(model.space)
    if args.archs is not None:
        archs = read_archs(args.archs, space)
    else:
        try:
            archs = list(space.enumerate())
        except ValueError:  # too large to enumerate
            raise ValueError(f"space {space.name!r} is too large to predict whole: give the architectures "
                             f"with --archs") from None
    latency = model.predict(space, archs).tolist()
    atomic_write_csv(args.out, COLUMNS, [(space.format(a), f"{v:.6g}") for a, v in zip(archs, latency)])
    print(f"predicted {len(archs)} architectures: {min(latency):.4g}-{max(latency):.4g} ms")
    print(f"wrote {args.out}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = {"fit": _fit, "suggest": _suggest, "adapt": _adapt, "predict": _predict}[args.command]
    try:
        command(args)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
