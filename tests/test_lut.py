import json
import random

import numpy as np
import pytest

from mobo.objectives.lut import LUTPrediction
from mobo.objectives.lut import LUTSource
from spaces import get_space
from spaces.lut import LookupTable, fit_calibration
from spaces.lut.__main__ import main as lut_main
from spaces.lut.build import TimingSettings, build_table, distinct_sample
from tests.conftest import shared_file

TINY = {"channels": 4, "cells_per_stage": 1, "blocks": 2, "image_size": 8}


@pytest.fixture(scope="module")
def tiny_space():
    return get_space("enas", **TINY)


@pytest.fixture(scope="module")
def tiny_table(tiny_space):
    return build_table(tiny_space, TimingSettings(repeats=1, warmup=0, stack=1), progress=False)


def test_built_table_covers_every_network_and_records_the_host(tiny_space, tiny_table):
    assert tiny_table.unit == "ms"
    assert set(tiny_table.entries) == set(tiny_space.lut_layers())
    assert all(v > 0 for v in tiny_table.entries.values())
    assert tiny_table.meta["torch"] and tiny_table.meta["settings"]["threads"] == 1
    assert tiny_table.meta["network"]["channels"] == 4


def test_prediction_is_the_sum_of_the_entries(tiny_space, tiny_table, tmp_path):
    path = tmp_path / "lut.json"
    tiny_table.save(path)
    evaluator = LUTPrediction(tiny_space, LUTSource(path=str(path)))
    rng = random.Random(0)
    for _ in range(20):
        arch = tiny_space.sample(rng)
        expected = sum(tiny_table.entries[k] for k in tiny_space.lut_keys(arch))
        assert evaluator(arch) == pytest.approx(expected)


def test_user_energy_table_in_the_same_format(tiny_space, tmp_path):
    # a user's table: 0.5 mJ per op instance, 2 mJ per fixed layer
    layers = tiny_space.lut_layers()
    table = {"unit": "mJ", "meta": {"source": "a power meter"}, "op": {}, "fixed": {}}
    for key in layers:
        section, name = key.split("/")
        table[section][name] = 0.5 if section == "op" else 2.0
    path = tmp_path / "energy.json"
    path.write_text(json.dumps(table))
    energy = LUTPrediction(tiny_space, LUTSource(path=str(path)))
    arch = tiny_space.sample(random.Random(1))
    # 5 cells x 2 blocks x 2 ops = 20 ops; stem, 5 x 2 preprocessing layers, classifier = 12 fixed
    assert energy(arch) == pytest.approx(20 * 0.5 + 12 * 2.0)
    assert LookupTable.load(path).unit == "mJ"


def test_calibration_recovers_a_synthetic_correction():
    rng = np.random.default_rng(0)
    sums = rng.uniform(10, 30, 60)
    counts = [{"concat_inputs": float(c), "constant": 1.0} for c in rng.integers(5, 20, 60)]
    truth = 1.4 * sums + 0.3 * np.array([c["concat_inputs"] for c in counts]) + 2.0
    measured = truth * rng.normal(1.0, 0.01, 60)
    cal = fit_calibration(sums[:40], counts[:40], measured[:40])
    assert cal.features == ("lut_sum", "concat_inputs")  # the constant count is dropped
    assert cal.coefficients[:2] == pytest.approx((1.4, 0.3), abs=0.05)
    assert cal.coefficients[2] == pytest.approx(2.0, abs=1.0)
    raw_mape = np.mean(np.abs(sums[40:] - measured[40:]) / measured[40:])
    cal_mape = np.mean([abs(cal.apply(s, c) - m) / m for s, c, m in zip(sums[40:], counts[40:], measured[40:])])
    assert cal_mape < 0.02 < raw_mape


def test_calibrated_table_round_trips_and_predicts_with_it(tiny_space, tiny_table, tmp_path):
    archs = distinct_sample(tiny_space, 10, random.Random(2))
    sums = [tiny_table.total(tiny_space.lut_keys(a)) for a in archs]
    table = LookupTable(dict(tiny_table.entries), "ms", {}, {}, fit_calibration(
        sums, [tiny_space.lut_counts(a) for a in archs], [2 * s + 1 for s in sums]))
    table.save(tmp_path / "cal.json")
    again = LookupTable.load(tmp_path / "cal.json")
    assert again.calibration == table.calibration
    arch = archs[0]
    counts = tiny_space.lut_counts(arch)
    assert again.predict(tiny_space.lut_keys(arch), counts) == pytest.approx(2 * sums[0] + 1, rel=1e-6)
    assert again.predict(tiny_space.lut_keys(arch), counts, calibrated=False) == pytest.approx(sums[0])


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"op": {"a": 1.0}}', "'unit' must be a string"),
        ('{"unit": "ms", "op": {"a": "fast"}}', "entry 'op/a' must be a finite number"),
        ('{"unit": "ms", "op": {"a": -1}}', "entry 'op/a' is negative"),
        ('{"unit": "ms", "op": [1, 2]}', "section 'op' must be an object"),
        ('{"unit": "ms"}', "no section of entries"),
        ('{"unit": "ms", "op": {"a": 1}, "calibration": {"features": ["x"], "coefficients": [1, 0]}}',
         "must start with 'lut_sum'"),
    ],
)
def test_malformed_tables_give_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        LookupTable.load(path)


def test_a_missing_entry_is_named(tiny_space, tiny_table):
    arch = tiny_space.sample(random.Random(3))
    key = tiny_space.lut_keys(arch)[3]
    entries = {k: v for k, v in tiny_table.entries.items() if k != key}
    with pytest.raises(ValueError, match=f"no entry '{key}'"):
        LookupTable(entries, "ms").total(tiny_space.lut_keys(arch))


def test_yolo_lookups_match_the_table():
    path = shared_file("yolov7_elan_latency_lut.json")
    raw = json.loads(path.read_text())
    space = get_space("yolo", backbone_max_depth=5, head_max_depth=7)
    evaluator = LUTPrediction(space, LUTSource(path=str(path)))
    rng = random.Random(0)
    for arch in [(1,) * 8, (5, 5, 5, 5, 7, 7, 7, 7), *(space.sample(rng) for _ in range(50))]:
        digits = "".join(map(str, arch))
        assert evaluator(arch) == pytest.approx(raw["backbone"][digits[:4]] + raw["head"][digits[4:]])


def test_build_and_calibrate_commands(tmp_path, capsys):
    out = tmp_path / "lut.json"
    net = [f"--net={k}={v}" for k, v in TINY.items()]
    assert lut_main(["build", "--space", "enas", *net, "--out", str(out), "--repeats", "1", "--no-progress"]) == 0
    assert lut_main(["calibrate", str(out), "--space", "enas", *net, "--samples", "6", "--repeats", "2",
                     "--no-progress"]) == 0
    table = LookupTable.load(out)
    assert table.calibration is not None and table.calibration.n_fit == 6
    assert "calibrated on 6 networks" in capsys.readouterr().out
    assert lut_main(["build", "--space", "nb201", "--out", str(tmp_path / "x.json")]) == 2
    assert "has no CostTableKeys capability" in capsys.readouterr().err


def test_a_table_for_other_network_options_is_refused_up_front(tiny_table, tmp_path):
    path = tmp_path / "lut.json"
    tiny_table.save(path)
    other = get_space("enas", **{**TINY, "channels": 6})
    with pytest.raises(ValueError, match="has no entry 'fixed/stem:3>18:h8'"):
        LUTPrediction(other, LUTSource(path=str(path)))
