import csv
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
    assert "NetScore" in page and "latency (ms, lower is better)" in page and "<pre>" in page
    assert page.strip().endswith("</html>")


def test_latent_map_of_a_run_colored_by_table(finished_run, nb201_csv, tmp_path):
    out = tmp_path / "map.png"
    assert latent_map_main([str(finished_run), "--table", str(nb201_csv), "--color", "acc_cifar100",
                           "--out", str(out)]) == 0
    assert_png(out)
    assert_svg(out.with_suffix(".svg"))


def test_visualize_checkpoint_by_params_with_tsne(nb201_checkpoint, tmp_path):
    out = tmp_path / "tsne.png"
    assert visualize_main([str(nb201_checkpoint), "--method", "tsne", "--max-points", "120", "--out", str(out)]) == 0
    assert_png(out)


def test_visualize_errors(nb201_checkpoint, finished_run, capsys):
    assert latent_map_main([str(nb201_checkpoint), "--color", "acc_cifar10"]) == 2
    assert "--color needs --table" in capsys.readouterr().err
    assert visualize_main([str(finished_run)]) == 2
    assert "python -m mobo.latent_map" in capsys.readouterr().err
