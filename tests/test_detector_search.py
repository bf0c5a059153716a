"""The YOLO space end to end: LUT latency, a labelled proxy, a user evaluator,
onnxruntime latency, and a search that exports its Pareto detectors."""

import csv
import json
import math

import pytest
import yaml

from gvae.settings import ModelSettings, TrainSettings
from gvae.train import dataset, fit
from mobo import config as C
from mobo.export import main as export_main
from mobo.objectives.latency import MeasuredLatency
from mobo.objectives.latency import MeasuredLatencySource
from mobo.objectives.proxy import ProxySource
from mobo.objectives.user import CallableSource
from mobo.objectives.proxy import ProxyScore
from mobo.objectives.user import UserEvaluator
from mobo.search import main as search_main
from spaces import get_space
from spaces.yolo.model_yaml import from_yaml
from tests.conftest import shared_file

SMALL = {"base": "yolov7-tiny", "image_size": 64, "num_classes": 3}


@pytest.fixture(scope="module")
def small_yolo():
    return get_space("yolo", **SMALL)


def test_synflow_proxy_is_finite_and_grows_with_depth(small_yolo):
    proxy = ProxyScore(small_yolo, ProxySource(image_size=32))
    shallow, deep = proxy((1,) * 8), proxy((3, 3, 3, 3, 5, 5, 5, 5))
    assert math.isfinite(shallow) and deep > shallow
    assert proxy((1,) * 8) == shallow  # deterministic


def test_naswot_proxy_scores_a_detector_on_resized_digits(small_yolo):
    proxy = ProxyScore(small_yolo, ProxySource(kind="naswot", image_size=32))
    shallow, deep = proxy((1,) * 8), proxy((3, 3, 3, 3, 5, 5, 5, 5))
    assert math.isfinite(shallow) and math.isfinite(deep) and shallow != deep
    assert proxy((1,) * 8) == shallow  # deterministic: fixed weights and batch


def test_proxy_objectives_must_be_labelled(tmp_path):
    spec = {"space": {"name": "yolo", "network": SMALL}, "objectives": {
        "accuracy": {"source": "proxy", "direction": "maximize"},
        "params": {"source": "params", "direction": "minimize"}}}
    with pytest.raises(C.ConfigError, match="objectives.accuracy: a proxy is not an accuracy"):
        C.from_dict(spec)
    spec["objectives"]["accuracy_proxy"] = spec["objectives"].pop("accuracy")
    assert C.from_dict(spec).objective("accuracy_proxy").source.name == "proxy"


def test_user_evaluator_example_trains_on_synthetic_detection(small_yolo):
    evaluate = UserEvaluator(small_yolo, CallableSource("examples.yolo_synthetic_detection:evaluate"))
    score = evaluate((1, 1, 1, 1, 2, 2, 2, 2))
    assert 0.0 <= score <= 100.0
    with pytest.raises(ValueError, match="has no function 'nope'"):
        UserEvaluator(small_yolo, CallableSource("examples.yolo_synthetic_detection:nope"))
    with pytest.raises(ValueError, match="function must be 'module:function'"):
        CallableSource("no_colon")


def test_onnxruntime_latency(small_yolo):
    options = MeasuredLatencySource(repeats=3, warmup=1, runtime="onnxruntime")
    assert 0.0 < MeasuredLatency(small_yolo, options)((1,) * 8) < 5000.0


def test_yolo_search_exports_pareto_detectors(tmp_path):
    lut = shared_file("yolov7_elan_latency_lut.json")
    space = get_space("yolo", **SMALL)
    model = fit(space, dataset(space, 300, 0), ModelSettings(latent_dim=4, hidden_dim=16, num_layers=1), TrainSettings(epochs=1),
                progress=False)
    model.save(tmp_path / "vae.pt")
    spec = {
        "name": "yolo-tiny", "seed": 1, "space": {"name": "yolo", "network": SMALL},
        "gvae": {"checkpoint": str(tmp_path / "vae.pt")},
        "objectives": {
            "accuracy_proxy": {"source": "proxy", "direction": "maximize", "image_size": 32},
            "latency": {"source": "lut", "path": str(lut), "direction": "minimize", "at_most": 520.0},
        },
        "search": {"budget": 7, "initial": 4, "batch_size": 3, "mc_samples": 8},
        "export": {"yaml": True},
    }
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(spec))
    run = tmp_path / "run"
    assert search_main([str(cfg), "--out", str(run), "--no-progress"]) == 0
    front = json.loads((run / "pareto.json").read_text())["front"]
    files = sorted((run / "pareto_networks").glob("*.yaml"))
    assert len(files) == len(front) >= 1
    assert {space.format(from_yaml(space, f.read_text())) for f in files} == {r["arch"] for r in front}
    assert export_main([str(run), "--format", "onnx", "--out", str(tmp_path / "onnx")]) == 0
    onnx_files = sorted((tmp_path / "onnx").glob("*.onnx"))
    assert len(onnx_files) == len(front)
    # the manifest lists every exported file with its architecture, objectives and untrained weights
    with open(run / "pareto_networks" / "manifest.csv", newline="") as f:
        manifest = list(csv.DictReader(f))
    assert sorted(r["file"] for r in manifest) == [f.name for f in files]
    by_arch = {r["arch"]: r for r in front}
    for entry in manifest:
        assert entry["format"] == "yaml" and entry["weights"].startswith("untrained")
        assert int(entry["index"]) == by_arch[entry["arch"]]["index"]
        assert float(entry["latency"]) == pytest.approx(by_arch[entry["arch"]]["latency"])
    with open(tmp_path / "onnx" / "manifest.csv", newline="") as f:
        assert sorted(r["file"] for r in csv.DictReader(f)) == [f.name for f in onnx_files]
    onnx = pytest.importorskip("onnx")
    props = {p.key: p.value for p in onnx.load(onnx_files[0]).metadata_props}
    assert props["latentnas.arch"] in by_arch and props["latentnas.weights"].startswith("untrained")
    assert set(json.loads(props["latentnas.objectives"])) == {"accuracy_proxy", "latency"}
    assert "accuracy_proxy" in (run / "report.html").read_text()
    assert "netscore" not in front[0]  # NetScore and Information Density need a real accuracy


def test_search_evaluates_a_whole_small_space_and_refuses_a_larger_budget(tmp_path, capsys):
    """16 detectors and a budget of 16: every one is evaluated once; a budget of 20 is refused up front."""
    network = {**SMALL, "backbone_max_depth": 1, "head_max_depth": 2}
    space = get_space("yolo", **network)
    assert space.size == 16
    model = fit(space, list(space.enumerate()), ModelSettings(latent_dim=4, hidden_dim=16, num_layers=1), TrainSettings(epochs=1),
                progress=False)
    model.save(tmp_path / "vae.pt")
    spec = {
        "name": "exhaust", "seed": 0, "space": {"name": "yolo", "network": network},
        "gvae": {"checkpoint": str(tmp_path / "vae.pt")},
        "objectives": {"params": {"source": "params", "direction": "maximize"},
                       "flops": {"source": "flops", "direction": "minimize"}},
        "search": {"budget": 16, "initial": 4, "batch_size": 3, "mc_samples": 8, "random_candidates": 50,
                   "local_candidates": 4},
    }
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(spec))
    run = tmp_path / "run"
    assert search_main([str(cfg), "--out", str(tmp_path / "big"), "--budget", "20", "--no-progress"]) == 2
    assert "search.budget: 20 evaluations exceed the 16 architectures of space 'yolo'" in capsys.readouterr().err
    assert not (tmp_path / "big").exists()
    assert search_main([str(cfg), "--out", str(run), "--no-progress"]) == 0
    with (run / "history.csv").open(newline="") as f:
        archs = [row["arch"] for row in csv.DictReader(f)]
    assert len(archs) == 16 and set(archs) == {space.format(a) for a in space.enumerate()}
