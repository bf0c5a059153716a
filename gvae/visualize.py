"""A 2-D map of a graph VAE's latent space.

Usage::

    python -m gvae.visualize CHECKPOINT [--method pca|tsne] [--out FILE] [--max-points N]

The map shows the latent codes (posterior means) of the space's architectures (a
uniform sample of 1,500, or fewer for a smaller space), projected to 2-D by PCA or
t-SNE and colored by parameter count. Writes PNG and SVG (``--out`` names the PNG;
default beside the checkpoint). A search's map, with its evaluations, Pareto set and
a table column as the color, is drawn by ``python -m mobo.latent_map RUN_DIR``, which
uses :func:`draw_map`.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gvae.latent import LatentModel
from spaces import Arch
from spaces.figures import save, subplots
from spaces.io import write_files

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


_OFFSETS = ((4, 4), (4, -11), (-16, 4), (-16, -11), (10, 14), (-22, 14), (10, -20), (-22, -20))


def place_labels(ax: Axes, points: np.ndarray, texts: list[str], gap: float = 11.0) -> None:
    """Labels ``points`` (``k x 2``, data units) with ``texts``, each at the first of a few offsets
    whose anchor lies ``gap`` display points or more from every label placed before."""
    ax.autoscale_view()  # fixes the limits, so that data map to display coordinates
    to_points = 72.0 / ax.figure.dpi
    placed: list[np.ndarray] = []
    for (x, y), text in zip(points, texts):
        base = ax.transData.transform((x, y)) * to_points
        for dx, dy in _OFFSETS:
            anchor = base + np.array([dx, dy])
            if all(np.abs(anchor - p).max() >= gap for p in placed):
                break
        placed.append(anchor)
        ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=7,
                    arrowprops={"arrowstyle": "-", "linewidth": 0.4, "color": "0.4"} if (dx, dy) != (4, 4) else None)


def draw_map(
    model: LatentModel,
    archs: list[Arch],
    values: np.ndarray,
    color_label: str,
    method: str,
    overlay: list[Arch] = (),
    on_front: np.ndarray | None = None,
    labels: list[int] = (),
) -> Figure:
    """The map of ``archs`` colored by ``values``, with ``overlay`` architectures drawn on top.

    Args:
        model: the graph VAE.
        archs: the background architectures (``n``).
        values: ``n`` color values.
        color_label: the colorbar's label.
        method: ``pca`` or ``tsne``.
        overlay: evaluated architectures to mark (``k``).
        on_front: ``k`` booleans: the overlay's Pareto set (starred and labelled).
        labels: ``k`` labels of the overlay (history indices).

    Returns:
        The figure.
    """
    z = model.encode(list(archs) + list(overlay)).numpy()
    xy = project_2d(z, method)
    bg, pts = xy[: len(archs)], xy[len(archs):]
    fig, ax = subplots(figsize=(8.0, 6.4))
    # colour by quantile: a skewed column (a few huge networks) would leave one colour for the rest
    rank = np.argsort(np.argsort(values, kind="stable"), kind="stable") / max(len(values) - 1, 1)
    order = np.argsort(rank)  # draw the high-ranked points last so they stay visible
    sc = ax.scatter(bg[order, 0], bg[order, 1], c=rank[order], s=5, cmap="viridis", alpha=0.8, linewidths=0,
                    vmin=0.0, vmax=1.0, rasterized=True)  # thousands of points: a bitmap inside the SVG
    bar = fig.colorbar(sc, ax=ax, label=f"{color_label} (colour by quantile)")
    ticks = np.linspace(0.0, 1.0, 5)
    bar.set_ticks(list(ticks))
    bar.set_ticklabels([f"{q:.4g}" for q in np.quantile(values, ticks)] if len(values) else [])
    if len(pts):
        on = on_front if on_front is not None else np.zeros(len(pts), dtype=bool)
        ax.scatter(pts[~on, 0], pts[~on, 1], s=28, facecolors="none", edgecolors="black", linewidths=0.8,
                   label="evaluated")
        ax.scatter(pts[on, 0], pts[on, 1], s=120, marker="*", color="#DD3333", edgecolors="black", linewidths=0.6,
                   label="Pareto set")
        ax.legend(loc="best", fontsize=8)
        place_labels(ax, pts[on], [str(labels[k]) for k in np.flatnonzero(on)] if len(labels) else [])
    name = "PCA" if method == "pca" else "t-SNE"
    ax.set_xlabel(f"{name} 1")
    ax.set_ylabel(f"{name} 2")
    ax.set_title(f"latent space of {model.space.name} ({len(archs):,} architectures, {name}, d={model.latent_dim})")
    fig.tight_layout()
    return fig


def visualize(checkpoint: Path, method: str, out: Path | None, max_points: int) -> list[Path]:
    """Draws the map of a checkpoint colored by parameter count; returns the PNG and SVG paths."""
    if checkpoint.is_dir():
        raise ValueError(f"{str(checkpoint)!r} is a directory; a run's map is drawn by "
                         f"python -m mobo.latent_map {checkpoint}")
    model = LatentModel.load(checkpoint)
    archs = background(model, max_points, 0, False, method)
    values = np.array([model.space.params(a) / 1e6 for a in archs])
    fig = draw_map(model, archs, values, "parameters (M)", method)
    return save(fig, (out or checkpoint.parent / f"latent_{method}.png").with_suffix(""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gvae.visualize", description="Map a latent space in 2-D.")
    parser.add_argument("checkpoint", type=Path, help="a model.pt checkpoint")
    parser.add_argument("--method", choices=("pca", "tsne"), default="pca")
    parser.add_argument("--out", type=Path, help="PNG path (an SVG is written beside it)")
    parser.add_argument("--max-points", type=int, default=20_000)
    args = parser.parse_args(argv)
    return write_files(lambda: visualize(args.checkpoint, args.method, args.out, args.max_points))


if __name__ == "__main__":
    raise SystemExit(main())
