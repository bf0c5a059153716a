"""A 2-D map of a graph VAE's latent space, with a run's evaluations and Pareto set on it.

Usage::

    python -m gvae.visualize (RUN_DIR | CHECKPOINT) [--table PATH --color COLUMN]
        [--method pca|tsne] [--out FILE] [--max-points N]

The map shows the latent codes (posterior means) of every architecture of a
finite space (at most ``--max-points``, else a uniform sample), projected to
2-D by PCA or t-SNE and colored by a table column, or, without a table, by
parameter count on a sample of 1,500 architectures. Given a run directory,
its evaluated architectures and its Pareto set (labelled by history index) are
overlaid. Writes PNG and SVG (``--out`` names the PNG; default
``RUN_DIR/plots/latent_<method>.png`` or beside the checkpoint).
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from gvae.latent import LatentModel
from mobo.plot import load_run, pareto_records, plt, save
from mobo.loop import GVAE_FILE
from mobo.objectives.table import BenchmarkTable
from mobo.utils.cli import write_files
from spaces import Arch

_PARAM_SAMPLE = 1_500
_TSNE_POINTS = 4_000


def project_2d(z: np.ndarray, method: str, seed: int = 0) -> np.ndarray:
    """``n x d`` latent codes -> ``n x 2`` (PCA or t-SNE, seeded)."""
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(z)
    from sklearn.manifold import TSNE

    return TSNE(n_components=2, init="pca", random_state=seed, perplexity=min(30.0, (len(z) - 1) / 3)).fit_transform(z)


def background(model: LatentModel, max_points: int, seed: int, colored_by_table: bool, method: str) -> list[Arch]:
    """The architectures drawn as the map's background."""
    space = model.space
    limit = max_points
    if not colored_by_table:
        limit = min(limit, _PARAM_SAMPLE)
    if method == "tsne":
        limit = min(limit, _TSNE_POINTS)
    if space.size is not None and space.size <= limit:
        return list(space.enumerate())
    if space.size is not None and space.size <= 1_000_000:
        return random.Random(seed).sample(list(space.enumerate()), limit)
    rng = random.Random(seed)
    return [space.sample(rng) for _ in range(limit)]


def visualize(
    source: Path, table: Path | None, color: str | None, method: str, out: Path | None, max_points: int
) -> list[Path]:
    """Draws the map; returns the written PNG and SVG paths."""
    run = None
    if source.is_dir():
        run = load_run(source)
        checkpoint = source / GVAE_FILE
        if table is None and color is not None and run.config.table.path:
            table = Path(run.config.table.path)
    else:
        checkpoint = source
    model = LatentModel.load(checkpoint)
    space = model.space
    if color is not None and table is None:
        raise ValueError("--color needs --table (or a run whose config names a table)")
    bench = BenchmarkTable(table) if table is not None else None
    if bench is not None:
        color = color or next((c for c in bench.columns if c.startswith("acc")), None)
        if color is None:
            raise ValueError("--color: name the table column to color by")
        bench.check_column(color)
    archs = background(model, max_points, 0, bench is not None, method)
    run_archs: list[Arch] = []
    front: set[int] = set()
    if run is not None:
        ok = [r for r in run.records if not r.failed]
        run_archs = [space.parse(r.arch) for r in ok]
        front = {i for i, r in enumerate(ok) if r.index in {p.index for p in pareto_records(run.records, run.config.objectives)}}
        labels = [r.index for r in ok]
    z = model.encode(archs + run_archs).numpy()
    xy = project_2d(z, method)
    bg, pts = xy[: len(archs)], xy[len(archs):]
    if bench is not None:
        values = np.array([bench.value(space.format(a), color) for a in archs])
        color_label = color
    else:
        values = np.array([space.params(a) / 1e6 for a in archs])
        color_label = "parameters (M)"
    fig, ax = plt.subplots(figsize=(8.0, 6.4))
    order = np.argsort(values)  # draw the best-colored points last so they stay visible
    sc = ax.scatter(bg[order, 0], bg[order, 1], c=values[order], s=5, cmap="viridis", alpha=0.8, linewidths=0)
    fig.colorbar(sc, ax=ax, label=color_label)
    if run is not None and len(pts):
        on = np.array([i in front for i in range(len(pts))], dtype=bool)
        ax.scatter(pts[~on, 0], pts[~on, 1], s=28, facecolors="none", edgecolors="black", linewidths=0.8,
                   label="evaluated")
        ax.scatter(pts[on, 0], pts[on, 1], s=120, marker="*", color="#DD3333", edgecolors="black", linewidths=0.6,
                   label="Pareto set")
        for k, (x, y) in enumerate(pts):
            if on[k]:
                ax.annotate(str(labels[k]), (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7)
        ax.legend(loc="best", fontsize=8)
    name = "PCA" if method == "pca" else "t-SNE"
    ax.set_xlabel(f"{name} 1")
    ax.set_ylabel(f"{name} 2")
    ax.set_title(f"latent space of {space.name} ({len(archs):,} architectures, {name}, d={model.latent_dim})")
    fig.tight_layout()
    if out is None:
        folder = source / "plots" if run is not None else checkpoint.parent
        out = folder / f"latent_{method}.png"
    return save(fig, out.with_suffix(""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gvae.visualize", description="Map a latent space in 2-D.")
    parser.add_argument("source", type=Path, help="a run directory or a model.pt checkpoint")
    parser.add_argument("--table", type=Path, help="benchmark table to color by")
    parser.add_argument("--color", help="table column to color by (default: the first accuracy column)")
    parser.add_argument("--method", choices=("pca", "tsne"), default="pca")
    parser.add_argument("--out", type=Path, help="PNG path (an SVG is written beside it)")
    parser.add_argument("--max-points", type=int, default=20_000)
    args = parser.parse_args(argv)
    return write_files(lambda: visualize(args.source, args.table, args.color, args.method, args.out, args.max_points))


if __name__ == "__main__":
    raise SystemExit(main())
