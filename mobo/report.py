"""A run's report: one self-contained HTML page (images embedded).

Usage::

    python -m mobo.report RUN_DIR [--table PATH]

Writes ``RUN_DIR/report.html`` with the configuration, the Pareto table
(architecture, objectives, parameters, MFLOPs, NetScore), the plots and the
run's timing. The plots are (re)drawn first.
"""

from __future__ import annotations

import argparse
import base64
import csv
import html
import statistics
from pathlib import Path

from mobo.plot import RunData, load_run, objective_label, plot_run
from mobo.results import csv_column
from mobo.rundir import RunDir
from spaces.io import write_files
from spaces.io import atomic_write_text


_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
td.arch, th.arch { text-align: left; font-family: monospace; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
img { max-width: 100%; }
"""


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _fmt(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return html.escape(value)
    return f"{number:.4g}" if number == number else "–"


def _pareto_table(run: RunData) -> str:
    path = run.run_dir / RunDir.PARETO_CSV
    if not path.is_file():
        return "<p>No Pareto front yet.</p>"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return "<p>No feasible architecture was found.</p>"
    labels = {csv_column(o): objective_label(o) for o in run.config.objectives}
    columns = ["index", "arch", *labels, "params_m", "mflops", "netscore", "information_density"]
    columns = [c for c in columns if c in rows[0]]
    titles = {"index": "#", "arch": "architecture", "params_m": "params (M)", "mflops": "MFLOPs",
              "netscore": "NetScore", "information_density": "Information Density (%/M)", **labels}
    head = "".join(f'<th class="{"arch" if c == "arch" else ""}">{html.escape(titles[c])}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="arch">{html.escape(r[c])}</td>' if c == "arch" else f"<td>{_fmt(r[c])}</td>"
            for c in columns
        ) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _timing(run: RunData) -> str:
    seconds = [r.seconds for r in run.records]
    lines = [f"evaluations: {len(run.records)} ({sum(r.failed for r in run.records)} failed), "
             f"evaluation time {sum(seconds):.1f} s in all, median {statistics.median(seconds) if seconds else 0:.2f} s"]
    path = run.run_dir / RunDir.TIMING
    if path.is_file():
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
        if rows:
            for key in ("fit_seconds", "candidate_seconds"):
                values = [float(r.get(key) or 0) for r in rows]
                lines.append(f"BO {key.replace('_seconds', '')}: median {statistics.median(values):.2f} s per iteration, "
                             f"{sum(values):.1f} s over {len(values)} iterations")
            candidates = [int(r.get("candidates") or 0) for r in rows]
            lines.append(f"candidates ranked per iteration: median {statistics.median(candidates):.0f}")
            lines.append(f"random-step latent points that decoded to an evaluated architecture: "
                         f"{sum(int(r.get('repeats') or 0) for r in rows)}")
    return "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"


def write_report(run_dir: Path, table: Path | None = None) -> Path:
    """Draws the plots and writes ``report.html``; returns its path."""
    plot_run(run_dir, table)
    run = load_run(run_dir)
    hv = run.hypervolume[-1][2] if run.hypervolume else 0.0
    plots = run_dir / RunDir.PLOTS
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>LatentNAS report: {html.escape(run.config.name)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>LatentNAS run: {html.escape(run.config.name)}</h1>",
        f"<p>Space <b>{html.escape(run.config.space.name)}</b>, {len(run.records)} evaluations of a budget of "
        f"{run.config.search.budget}, mode {run.config.search.mode}, acquisition {run.config.search.acquisition}, "
        f"seed {run.config.seed}; final hypervolume {hv:.6g}.</p>",
        "<h2>Pareto front</h2>", _pareto_table(run),
        "<h2>Plots</h2>", '<p><a href="plots/pareto.html">Interactive view</a>: hover a point for its '
        "architecture and objectives, click the legend to show or hide the true front.</p>",
        _image(plots / "pareto.png", "Pareto front"), _image(plots / "hypervolume.png", "hypervolume"),
        "<h2>Timing</h2>", _timing(run),
        "<h2>Configuration</h2>", f"<pre>{html.escape((run_dir / RunDir.CONFIG).read_text())}</pre>",
        "</body></html>",
    ]
    path = run_dir / RunDir.REPORT
    atomic_write_text(path, "\n".join(parts) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mobo.report", description="Write a run's HTML report.")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--table", type=Path, help="benchmark table whose true front is drawn")
    args = parser.parse_args(argv)
    return write_files(lambda: [write_report(args.run_dir, args.table)])


if __name__ == "__main__":
    raise SystemExit(main())
