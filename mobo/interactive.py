"""An interactive view of a run's evaluations (plotly): hover a point for its architecture and
objectives, click a legend entry to show or hide a group (the true front among them).

Written with the static plots (:func:`mobo.plot.plot_run`) as ``RUN_DIR/plots/pareto.html``,
one self-contained page (plotly's script inline: it opens without a network).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from mobo.objectives.table import BenchmarkTable
from mobo.plot import RunData, objective_label
from mobo.results import pareto_records, true_front
from spaces.io import atomic_write_text


def interactive_page(run: RunData, table: BenchmarkTable | None, path: Path) -> Path:
    """Writes the interactive Pareto view of ``run`` (one panel per pair of objectives) to ``path``.

    Args:
        run: the run (:class:`mobo.plot.RunData`).
        table: the benchmark table whose true front is drawn (hidden until clicked), or ``None``.
        path: the HTML file.

    Returns:
        ``path``.
    """
    from plotly.subplots import make_subplots  # imported here: plotly takes a second to load

    objectives = run.config.objectives
    pairs = list(itertools.combinations(range(len(objectives)), 2))
    fig = make_subplots(rows=1, cols=len(pairs), horizontal_spacing=0.08)
    ok = [r for r in run.records if not r.failed]
    front = {r.index for r in pareto_records(run.records, objectives)}
    groups = (("evaluated (feasible)", [r for r in ok if r.feasible and r.index not in front], "#4C72B0", "circle"),
              ("infeasible", [r for r in ok if not r.feasible], "#999999", "x"),
              ("Pareto set", [r for r in ok if r.index in front], "#DD5555", "star"))
    truth = true_front(table, objectives) if table is not None else None
    for col, (i, j) in enumerate(pairs, start=1):
        ox, oy = objectives[i], objectives[j]
        for name, records, color, symbol in groups:
            if not records:
                continue
            text = [f"#{r.index} (step {r.iteration})<br>{r.arch}<br>"
                    + "<br>".join(f"{o.name}: {r.values[o.name]:.4g}" for o in objectives) for r in records]
            fig.add_scatter(x=[r.values[ox.name] for r in records], y=[r.values[oy.name] for r in records],
                            mode="markers", name=name, legendgroup=name, showlegend=col == 1, hovertext=text,
                            hoverinfo="text", marker={"color": color, "symbol": symbol, "size": 11 if symbol == "star"
                                                      else 7}, row=1, col=col)
        if truth is not None:
            order = np.argsort(truth[:, i])
            fig.add_scatter(x=truth[order, i], y=truth[order, j], mode="markers", name="true front (table)",
                            legendgroup="truth", showlegend=col == 1, visible="legendonly",
                            marker={"color": "#444444", "size": 5}, row=1, col=col)
        fig.update_xaxes(title_text=objective_label(ox), row=1, col=col)
        fig.update_yaxes(title_text=objective_label(oy), row=1, col=col)
    fig.update_layout(title=f"{run.config.name}: {len(run.records)} evaluations, {len(front)} on the Pareto front"
                            f"<br><sup>hover a point for its architecture; click the legend to show or hide a group"
                            f"</sup>",
                      template="plotly_white", height=560, width=max(700, 620 * len(pairs)))
    atomic_write_text(path, fig.to_html(include_plotlyjs=True, full_html=True))
    return path
