"""The few-shot latency predictor: meta-training, adaptation, the commands and the search's use of it."""

import csv
import random

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from mobo import config as C
from mobo.latency_predictor import LatencyPredictor, PredictorSettings, fit, read_measurements
from mobo.latency_predictor.__main__ import main as predictor_main
from mobo.loop import Search
from mobo.objectives import build_evaluators
from spaces import get_space
from tests.conftest import tiny_table_config

FAST = PredictorSettings(features=8, hidden=64, steps=300)
SPACE = get_space("nb201")
BASE_MS = np.array([0.0, 0.2, 1.0, 3.0, 0.6])  # none, skip, conv1x1, conv3x3, avg_pool: ms per edge


def synthetic_latency(archs, factors, offset):
    """``n`` latencies: the per-op costs scaled per op by the device's ``factors``, plus ``offset`` ms."""
    x = np.array([SPACE.one_hot(a) for a in archs]).reshape(len(archs), 6, 5)
    return offset + x.reshape(len(archs), 30) @ np.tile(BASE_MS * factors, 6)


@pytest.fixture(scope="module")
def synthetic():
    """Meta-training rows of six devices, a new seventh device, and a predictor fitted on the six."""
    rng = np.random.default_rng(0)
    archs = list(SPACE.enumerate())
    train = [archs[i] for i in rng.choice(len(archs), 3000, replace=False)]
    devices = [(np.exp(rng.normal(0, 0.4, 5)), rng.uniform(0.5, 3)) for _ in range(7)]
    lat = np.stack([synthetic_latency(train, f, b) for f, b in devices[:6]], axis=1)
    model = fit(SPACE, train, lat, [f"dev{i}" for i in range(6)], FAST, seed=0)
    return archs, devices[6], model


def test_ten_measurements_recover_a_new_device_ranking(synthetic):
    archs, (factors, offset), model = synthetic
    picks = model.suggest(SPACE, 10)
    assert len({SPACE.format(a) for a in picks}) == 10
    truth = synthetic_latency(picks, factors, offset)
    adapted = model.adapt(SPACE, {SPACE.format(a): float(v) for a, v in zip(picks, truth)})
    held = [a for a in archs[::7] if a not in picks]
    rho = spearmanr(adapted.predict(SPACE, held).numpy(), synthetic_latency(held, factors, offset)).statistic
    assert rho > 0.9
    with pytest.raises(ValueError, match="not adapted"):
        model.predict(SPACE, held[:2])


def test_predictor_file_round_trip_and_other_space_refused(synthetic, tmp_path):
    archs, (factors, offset), model = synthetic
    adapted = model.adapt(SPACE, {SPACE.format(a): float(v) for a, v in zip(archs[:5], synthetic_latency(
        archs[:5], factors, offset))})
    adapted.save(tmp_path / "a.pt")
    loaded = LatencyPredictor.load(tmp_path / "a.pt")
    assert torch.allclose(loaded.predict(SPACE, archs[:50]), adapted.predict(SPACE, archs[:50]))
    enas = get_space("enas")
    with pytest.raises(ValueError, match="fitted for space 'nb201', not 'enas'"):
        loaded.predict(enas, [enas.sample(random.Random(0))])
    (tmp_path / "junk.pt").write_text("not a model")
    with pytest.raises(ValueError, match="is not a latency predictor"):
        LatencyPredictor.load(tmp_path / "junk.pt")


def write_csv(path, rows):
    path.write_text("".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
OTHER = "|none~0|+|nor_conv_3x3~0|none~1|+|none~0|nor_conv_3x3~1|none~2|"


@pytest.mark.parametrize("rows, message", [
    ([("arch", "ms")], "no 'latency_ms' column"),
    ([("arch", "latency_ms"), (ARCH, "3.1"), ("|conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|", "2")],
     "row 3: .*unknown op 'conv_9x9'"),
    ([("arch", "latency_ms"), ("|nor_conv_3x3~0|+", "2")], "row 2: "),
    ([("arch", "latency_ms"), (ARCH, "fast")], "row 2: latency_ms 'fast' is not a number"),
    ([("arch", "latency_ms"), (ARCH, "0")], "row 2: latency_ms '0' must be a positive"),
    ([("arch", "latency_ms"), (ARCH, "-1.5")], "row 2: latency_ms '-1.5' must be a positive"),
    ([("arch", "latency_ms"), (ARCH, "3.1"), (OTHER, "1"), (ARCH, "3.4")], "row 4: .* 3.1 ms in row 2 and 3.4 ms"),
    ([("arch", "latency_ms")], "hold no rows"),
])
def test_bad_measurement_files_name_the_row(tmp_path, rows, message):
    with pytest.raises(ValueError, match=message):
        read_measurements(write_csv(tmp_path / "m.csv", rows), SPACE)


def test_repeated_equal_measurements_count_once(tmp_path):
    rows = [("arch", "latency_ms", "note"), (ARCH, "3.1", "a"), (OTHER, "1", ""), (ARCH, "3.1", "b")]
    assert read_measurements(write_csv(tmp_path / "m.csv", rows), SPACE) == {ARCH: 3.1, OTHER: 1.0}


def test_commands_fit_suggest_adapt_predict(tmp_path, capsys):
    """The four commands on a small synthetic table, as a user runs them; predict covers every
    architecture of the space once; a bad measurement file is one error line."""
    rng = np.random.default_rng(1)
    archs = list(SPACE.enumerate())
    rows = [archs[i] for i in rng.choice(len(archs), 800, replace=False)]
    devices = [(np.exp(rng.normal(0, 0.4, 5)), 1.0) for _ in range(3)]
    lat = np.stack([synthetic_latency(rows, f, b) for f, b in devices], axis=1)
    table = write_csv(tmp_path / "t.csv", [("arch", "lat_a_ms", "lat_b_ms", "lat_c_ms", "acc")]
                      + [(SPACE.format(a), *lat[i], 90.0) for i, a in enumerate(rows)])
    model, adapted, pred = tmp_path / "m.pt", tmp_path / "a.pt", tmp_path / "p.csv"
    assert predictor_main(["fit", "--table", str(table), "--out", str(model), "--steps", "50"]) == 0
    assert "meta-trained on 3 devices (lat_a_ms, lat_b_ms, lat_c_ms)" in capsys.readouterr().out
    assert predictor_main(["suggest", str(model), "--k", "10", "--template", str(tmp_path / "M.csv")]) == 0
    suggested = capsys.readouterr().out.split()
    assert len(set(suggested)) == 10 and all(SPACE.format(SPACE.parse(s)) == s for s in suggested)
    with open(tmp_path / "M.csv", newline="") as f:
        template = list(csv.DictReader(f))
    assert [r["arch"] for r in template] == suggested and all(r["latency_ms"] == "" for r in template)
    measured = synthetic_latency([SPACE.parse(s) for s in suggested], np.ones(5), 1.0)
    write_csv(tmp_path / "M.csv", [("arch", "latency_ms")] + list(zip(suggested, measured)))
    assert predictor_main(["adapt", str(model), "--measurements", str(tmp_path / "M.csv"), "--out", str(adapted)]) == 0
    assert "adapted to 10 measurements" in capsys.readouterr().out
    assert predictor_main(["predict", str(adapted), "--out", str(pred)]) == 0
    with open(pred, newline="") as f:
        predicted = list(csv.DictReader(f))
    assert len(predicted) == SPACE.size and len({r["arch"] for r in predicted}) == SPACE.size
    assert all(float(r["latency_ms"]) > 0 for r in predicted)
    archs_file = write_csv(tmp_path / "archs.txt", [(ARCH,), (OTHER,)])
    assert predictor_main(["predict", str(adapted), "--archs", str(archs_file), "--out", str(pred)]) == 0
    capsys.readouterr()
    write_csv(tmp_path / "bad.csv", [("arch", "latency_ms"), (ARCH, "n/a")])
    assert predictor_main(["adapt", str(model), "--measurements", str(tmp_path / "bad.csv"), "--out", str(adapted)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: measurements") and "row 2: latency_ms 'n/a' is not a number" in err
    assert len(err.splitlines()) == 1
    bad_table = write_csv(tmp_path / "bt.csv", [("arch", "lat_a_ms"), (ARCH, "1.0"), (OTHER, "-2")])
    assert predictor_main(["fit", "--table", str(bad_table), "--out", str(model)]) == 2
    assert "column 'lat_a_ms', row 3: latency -2 is not a positive number" in capsys.readouterr().err


@pytest.fixture(scope="module")
def raspi4_model(nb201_csv, tmp_path_factory):
    """A predictor meta-trained on the table's other devices (a quick fit), adapted to the
    Raspberry Pi 4 from ten of its rows."""
    from mobo.latency_predictor import table_latencies
    from mobo.objectives.table import BenchmarkTable

    table = BenchmarkTable(nb201_csv)
    archs, lat, devices = table_latencies(table, SPACE)
    others = [j for j, d in enumerate(devices) if d != "lat_raspi4_ms"]
    model = fit(SPACE, archs[::4], lat[::4][:, others], [devices[j] for j in others], FAST)
    picks = [SPACE.format(a) for a in model.suggest(SPACE, 10)]
    path = tmp_path_factory.mktemp("predictor") / "raspi4.pt"
    model.adapt(SPACE, {a: table.value(a, "lat_raspi4_ms") for a in picks}).save(path)
    return path, table


def test_search_with_a_predicted_latency(nb201_csv, nb201_checkpoint, raspi4_model, tmp_path):
    """A ``latency_predictor`` objective reads the adapted file; a search runs on it and records
    the predictor's values."""
    path, table = raspi4_model
    data = tiny_table_config(nb201_csv, nb201_checkpoint, budget=8)
    data["objectives"]["latency"] = {"source": "latency_predictor", "model": str(path), "direction": "minimize"}
    search = Search(C.from_dict(data), tmp_path / "run", progress=False)
    assert search.run().evaluations == 8
    predictor = LatencyPredictor.load(path)
    for record in search.history.records:
        arch = SPACE.parse(record.arch)
        assert record.values["latency"] == pytest.approx(float(predictor.predict(SPACE, [arch])[0]), rel=1e-6)


def test_predictor_source_settings_are_checked(nb201_csv, nb201_checkpoint, synthetic, tmp_path):
    _, _, unadapted = synthetic
    unadapted.save(tmp_path / "m.pt")
    data = tiny_table_config(nb201_csv, nb201_checkpoint)
    data["objectives"]["latency"] = {"source": "latency_predictor", "model": str(tmp_path / "m.pt"),
                                     "direction": "minimize"}
    with pytest.raises(ValueError, match="objectives.latency.model: latency predictor .* is not adapted"):
        build_evaluators(C.from_dict(data), SPACE)
    data["objectives"]["latency"]["model"] = str(tmp_path / "none.pt")
    with pytest.raises(ValueError, match="objectives.latency.model: latency predictor .*none.pt' does not exist"):
        build_evaluators(C.from_dict(data), SPACE)
