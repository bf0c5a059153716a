"""Compares the histories of two ``bench.mobo`` output folders run by one method: same
architectures, in the same order, with the same values (the wall-time column aside).

Usage::

    python -m bench.same_history DIR_A DIR_B [--method latentnas]

Prints one line per (problem, seed) found in both and exits 1 when any differs; used to
show that a refactoring leaves the search's proposals unchanged.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

_IGNORED = ("seconds", "started", "ended", "worker")  # when and where differ between any two runs


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return [{k: v for k, v in row.items() if k not in _IGNORED} for row in csv.DictReader(f)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.same_history", description=__doc__.split("\n")[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--method", default="latentnas")
    args = parser.parse_args(argv)
    pattern = f"work/*/{args.method}-*/{args.method}/history.csv"
    found = {p.relative_to(args.a): p for p in sorted(args.a.glob(pattern))}
    if not found:
        print(f"error: no {pattern} under {args.a}", file=sys.stderr)
        return 2
    differ = 0
    for rel, path in found.items():
        other = args.b / rel
        if not other.is_file():
            print(f"{rel}: missing in {args.b}")
            continue
        a, b = rows(path), rows(other)
        same = a == b
        differ += not same
        print(f"{rel}: {len(a)} rows, {'identical' if same else 'DIFFERENT'}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
