"""Figures written as files, shared by every layer's plots.

Figures are plain :class:`matplotlib.figure.Figure` objects, never pyplot's, so drawing
a plot selects no backend and changes no global setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

# Fixed metadata and SVG ids so that the same figure gives byte-identical files.
_SVG_META = {"Date": None, "Creator": None}
_PNG_META = {"Software": None}


def subplots(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """A new figure and its axes (``Figure.subplots``'s arguments; ``figsize`` for the figure)."""
    fig = Figure(figsize=kwargs.pop("figsize", None))
    return fig, fig.subplots(nrows, ncols, **kwargs)


def save(fig: Figure, stem: Path) -> list[Path]:
    """Writes ``stem.png`` and ``stem.svg`` (deterministic metadata and SVG ids).

    Returns:
        The two paths.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    with matplotlib.rc_context({"svg.hashsalt": "latentnas"}):
        fig.savefig(png, dpi=120, metadata=_PNG_META)
        fig.savefig(svg, metadata=_SVG_META)
    return [png, svg]
