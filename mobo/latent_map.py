"""A search's latent map: the graph VAE's 2-D map with the run's evaluations and Pareto set on it.

Usage::

    python -m mobo.latent_map (RUN_DIR | CHECKPOINT) [--table PATH --color COLUMN]
        [--method pca|tsne] [--out FILE] [--max-points N]

The background is every architecture of a finite space (at most ``--max-points``,
else a uniform sample) colored by a table column, or, without a table, a sample of
1,500 colored by parameter count. Given a run directory, its evaluated architectures
and its Pareto set (labelled by history index) are drawn on top. Writes PNG and SVG
(``--out`` names the PNG; default ``RUN_DIR/plots/latent_<method>.png`` or beside the
checkpoint).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from gvae.latent import LatentModel
from gvae.visualize import background, draw_map
from mobo.objectives.table import BenchmarkTable
from mobo.results import pareto_records
from mobo.rundir import RunDir
from spaces import Arch
from spaces.figures import save
from spaces.io import write_files


def latent_map(source: Path, table: Path | None, color: str | None, method: str, out: Path | None,
               max_points: int) -> list[Path]:
    """Draws the map; returns the written PNG and SVG paths."""
    run = RunDir(source) if source.is_dir() else None
    config = run.read_config() if run is not None else None
    checkpoint = run.file(RunDir.GVAE) if run is not None else source
    if run is not None and table is None and color is not None and config.table.path:
        table = Path(config.table.path)
    if color is not None and table is None:
        raise ValueError("--color needs --table (or a run whose config names a table)")
    model = LatentModel.load(checkpoint)
    space = model.space
    bench = BenchmarkTable(table) if table is not None else None
    if bench is not None:
        color = color or next((c for c in bench.columns if c.startswith("acc")), None)
        if color is None:
            raise ValueError("--color: name the table column to color by")
        bench.check_column(color)
    archs = background(model, max_points, 0, bench is not None, method)
    overlay: list[Arch] = []
    on_front = np.zeros(0, dtype=bool)
    labels: list[int] = []
    if run is not None:
        records = run.history(config).records
        ok = [r for r in records if not r.failed]
        front = {p.index for p in pareto_records(records, config.objectives)}
        overlay = [space.parse(r.arch) for r in ok]
        on_front = np.array([r.index in front for r in ok], dtype=bool)
        labels = [r.index for r in ok]
    if bench is not None:
        values, label = np.array([bench.value(space.format(a), color) for a in archs]), color
    else:
        values, label = np.array([space.params(a) / 1e6 for a in archs]), "parameters (M)"
    fig = draw_map(model, archs, values, label, method, overlay, on_front, labels)
    if out is None:
        folder = run.file(RunDir.PLOTS) if run is not None else checkpoint.parent
        out = folder / f"latent_{method}.png"
    return save(fig, out.with_suffix(""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mobo.latent_map", description="Map a search's latent space.")
    parser.add_argument("source", type=Path, help="a run directory or a model.pt checkpoint")
    parser.add_argument("--table", type=Path, help="benchmark table to color by")
    parser.add_argument("--color", help="table column to color by (default: the first accuracy column)")
    parser.add_argument("--method", choices=("pca", "tsne"), default="pca")
    parser.add_argument("--out", type=Path, help="PNG path (an SVG is written beside it)")
    parser.add_argument("--max-points", type=int, default=20_000)
    args = parser.parse_args(argv)
    return write_files(lambda: latent_map(args.source, args.table, args.color, args.method, args.out, args.max_points))


if __name__ == "__main__":
    raise SystemExit(main())
