"""Build and calibrate lookup tables on this host.

Usage::

    python -m spaces.lut build --space enas --out LUT.json [--repeats R --stack N --threads T]
    python -m spaces.lut calibrate LUT.json --space enas [--samples 50 --seed 0]

``build`` times every per-layer entry the space uses (batch 1, median of
repeats) and records the host, torch version, threads and settings.
``calibrate`` measures whole networks of ``--samples`` random architectures
and stores a linear correction of the sums in the table. ``--net key=value``
sets the space's network options (they must match the networks you predict).
"""

from __future__ import annotations

import argparse
import random
import sys

from spaces import get_space
from spaces.lut.build import (
    TimingSettings,
    build_table,
    calibrate,
    distinct_sample,
    host_info,
    measure_networks,
)
from spaces.lut.table import LookupTable


def network_options(items: list[str]) -> dict[str, int]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not value.lstrip("-").isdigit():
            raise ValueError(f"--net {item!r}: expected key=integer")
        out[key] = int(value)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spaces.lut", description="Build and calibrate lookup tables.")
    sub = parser.add_subparsers(dest="command", required=True)
    defaults = TimingSettings()
    for name in ("build", "calibrate"):
        p = sub.add_parser(name)
        p.add_argument("--space", required=True, help="search space name, e.g. enas")
        p.add_argument("--net", action="append", default=[], metavar="KEY=VALUE", help="network option")
        p.add_argument("--repeats", type=int, default=defaults.repeats)
        p.add_argument("--warmup", type=int, default=defaults.warmup)
        p.add_argument("--threads", type=int, default=defaults.threads)
        p.add_argument("--no-progress", action="store_true")
        if name == "build":
            p.add_argument("--out", required=True, help="the table file to write")
            p.add_argument("--stack", type=int, default=defaults.stack, help="copies of a layer timed together")
        else:
            p.add_argument("lut", help="the table file to calibrate (rewritten in place)")
            p.add_argument("--samples", type=int, default=50, help="networks to measure")
            p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        space = get_space(args.space, **network_options(args.net))
        settings = TimingSettings(
            repeats=args.repeats, warmup=args.warmup, threads=args.threads, stack=getattr(args, "stack", 1)
        )
        if args.command == "build":
            table = build_table(space, settings, progress=not args.no_progress)
            table.save(args.out)
            print(f"wrote {len(table.entries)} entries to {args.out}")
            return 0
        table = LookupTable.load(args.lut)
        archs = distinct_sample(space, args.samples, random.Random(args.seed))
        measured = measure_networks(space, archs, settings, progress=not args.no_progress)
        calibrate(table, space, archs, measured)
        table.meta["calibration_host"] = host_info(settings)
        table.save(args.lut)
        cal = table.calibration
        assert cal is not None
        terms = " + ".join(f"{w:.4g}*{f}" for w, f in zip(cal.coefficients, cal.features))
        print(f"calibrated on {args.samples} networks: cost = {terms} + {cal.coefficients[-1]:.4g}")
        return 0
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
