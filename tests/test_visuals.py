import csv
import json
import xml.etree.ElementTree as ET

from gvae.visualize import main as visualize_main
from mobo.latent_map import main as latent_map_main
from mobo.plot import main as plot_main
from mobo.report import main as report_main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 5_000, path


def assert_svg(path):
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg") and len(list(root.iter())) > 50, path


def test_search_writes_plots_and_report_automatically(finished_run):
    for name in ("pareto", "hypervolume"):
        assert_png(finished_run / "plots" / f"{name}.png")
        assert_svg(finished_run / "plots" / f"{name}.svg")
    assert (finished_run / "report.html").is_file()


def test_plot_command_is_deterministic(finished_run):
    svg = finished_run / "plots" / "pareto.svg"
    before = svg.read_bytes()
    assert plot_main([str(finished_run)]) == 0
    assert svg.read_bytes() == before
    assert_png(finished_run / "plots" / "pareto.png")


def test_pareto_plot_spans_the_data_and_draws_the_reference(finished_run, nb201_csv):
    """Axis limits span the evaluated points (plus margins), not the constraint, the reference
    or the true front; the region the hypervolume counts is drawn; no legend entry for what is absent;
    with the table the hypervolume is also a share of the true front's (0 to 1)."""
    import numpy as np

    from mobo.objectives.table import BenchmarkTable
    from mobo.plot import hypervolume_figure, load_run, pareto_figure, true_hypervolume

    run = load_run(finished_run)
    table = BenchmarkTable(nb201_csv)
    fig = pareto_figure(run, table)
    ax = fig.axes[0]
    ok = [r for r in run.records if not r.failed]
    for k, (lo, hi) in enumerate((ax.get_xlim(), ax.get_ylim())):
        name = run.config.objectives[k].name
        data = [r.values[name] for r in ok]
        span = max(data) - min(data)
        assert min(data) - 0.1 * span <= lo <= min(data) and max(data) <= hi <= max(data) + 0.1 * span
    labels = ax.get_legend_handles_labels()[1]
    assert "counted by the hypervolume" in labels and ax.get_title().startswith("reference point: accuracy ")
    assert ("infeasible (breaks a constraint)" in labels) == any(not r.feasible for r in ok)
    assert ax.get_xlabel() == "accuracy: acc_cifar10 (%, higher is better)"
    best = true_hypervolume(run, table)
    assert 0 < run.hypervolume[-1][2] <= best
    share = hypervolume_figure(run, table).axes[1]
    assert share.get_ylim() == (0.0, 1.0)


def test_interactive_view_carries_each_point_and_a_hidden_true_front(finished_run):
    page = (finished_run / "plots" / "pareto.html").read_text()
    front = json.loads((finished_run / "pareto.json").read_text())["front"]
    assert all(f"#{r['index']} (step {r['iteration']})\\u003cbr\\u003e{r['arch']}" in page for r in front)
    assert '"name":"true front (table)"' in page and '"visible":"legendonly"' in page
    assert "cdn.plot.ly" not in page.split("</script>", 1)[0][:2000]  # plotly's script is inline


def test_report_holds_the_pareto_rows_and_embedded_images(finished_run):
    (finished_run / "report.html").unlink()
    assert report_main([str(finished_run)]) == 0
    page = (finished_run / "report.html").read_text()
    with open(finished_run / "pareto.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows
    for row in rows:
        assert row["arch"] in page
    assert page.count("data:image/png;base64,") == 2
    assert "NetScore" in page and "latency: lat_raspi4_ms (ms, lower is better)" in page and "<pre>" in page
    assert page.strip().endswith("</html>")


def test_latent_map_of_a_run_colored_by_table(finished_run, nb201_csv, tmp_path):
    out = tmp_path / "map.png"
    assert latent_map_main([str(finished_run), "--table", str(nb201_csv), "--color", "acc_cifar100",
                           "--out", str(out)]) == 0
    assert_png(out)
    assert_svg(out.with_suffix(".svg"))
    assert out.with_suffix(".svg").stat().st_size < 600_000  # the background is a bitmap inside the SVG


def test_map_labels_of_close_points_keep_apart():
    import numpy as np

    from gvae.visualize import place_labels
    from spaces.figures import subplots

    fig, ax = subplots()
    ax.scatter([0, 0.001, 0.002, 5], [0, 0.001, 0, 5])
    place_labels(ax, np.array([[0, 0], [0.001, 0.001], [0.002, 0], [5, 5]]), ["1", "2", "3", "4"])
    anchors = [np.array(t.get_position()) for t in ax.texts]  # offsets in points
    xy = [ax.transData.transform(t.xy) * 72 / fig.dpi + a for t, a in zip(ax.texts, anchors)]
    assert all(np.abs(xy[i] - xy[j]).max() >= 11 for i in range(4) for j in range(i))


def test_visualize_checkpoint_by_params_with_tsne(nb201_checkpoint, tmp_path):
    out = tmp_path / "tsne.png"
    assert visualize_main([str(nb201_checkpoint), "--method", "tsne", "--max-points", "120", "--out", str(out)]) == 0
    assert_png(out)


def test_visualize_errors(nb201_checkpoint, finished_run, capsys):
    assert latent_map_main([str(nb201_checkpoint), "--color", "acc_cifar10"]) == 2
    assert "--color needs --table" in capsys.readouterr().err
    assert visualize_main([str(finished_run)]) == 2
    assert "python -m mobo.latent_map" in capsys.readouterr().err
