import math

import pytest

from mobo import config as C
from mobo.objectives.table import TableLookup
from mobo.objectives.latency import MeasuredLatency
from mobo.objectives.latency import MeasuredLatencySource
from mobo.objectives.training import TrainSource
from mobo.objectives.table import BenchmarkTable
from mobo.objectives.training import TrainedAccuracy
from mobo.reward import reward
from spaces import get_space

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


@pytest.fixture(scope="module")
def small_space():
    return get_space("nb201", channels=8, cells_per_stage=1, input_channels=1, image_size=8)


def test_train_source_learns_digits(small_space):
    evaluate = TrainedAccuracy(small_space, TrainSource(epochs=2), seed=0)
    acc = evaluate(small_space.parse(ARCH))
    assert 50.0 < acc <= 100.0  # chance is 10 %
    assert evaluate(small_space.parse(ARCH)) == acc  # seeded


def test_measured_latency_is_positive_milliseconds(small_space):
    evaluate = MeasuredLatency(small_space, MeasuredLatencySource(repeats=5, warmup=1))
    conv = evaluate(small_space.parse(ARCH))
    empty = evaluate(small_space.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"))
    assert 0.0 < empty < 1000.0 and 0.0 < conv < 1000.0
    big = MeasuredLatency(small_space, MeasuredLatencySource(repeats=3, warmup=1, batch_size=64, image_size=32))
    assert big(small_space.parse(ARCH)) > conv


def test_table_lookup_matches_exactly(nb201_csv):
    space = get_space("nb201")
    table = BenchmarkTable(nb201_csv)
    assert len(table.archs) == 15_625
    lookup = TableLookup(space, table, "acc_cifar10")
    assert lookup(space.parse(ARCH)) == pytest.approx(93.66)  # row 1 of the table
    with pytest.raises(ValueError, match="column 'acc_mnist' is not in table"):
        TableLookup(space, table, "acc_mnist")


def test_table_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,acc\nx,1\n")
    with pytest.raises(ValueError, match="no 'arch' column"):
        BenchmarkTable(bad)
    text = tmp_path / "text.csv"
    text.write_text("arch,acc\nx,high\n")
    with pytest.raises(ValueError, match="column 'acc', row 2: 'high' is not a number"):
        BenchmarkTable(text).value("x", "acc")
    good = tmp_path / "good.csv"
    good.write_text("arch,acc\nx,1.5\n")
    assert BenchmarkTable(good).value("x", "acc") == 1.5
    with pytest.raises(KeyError, match="'y' is not in table"):
        BenchmarkTable(good).value("y", "acc")


def test_reward_presets():
    base = {"objectives": {
        "accuracy": {"source": "params", "direction": "maximize"},
        "latency": {"source": "params", "direction": "minimize", "at_most": 20.0},
    }, "search": {"mode": "reward"}}
    soft = C.from_dict(base)
    assert reward({"accuracy": 90.0, "latency": 10.0}, soft) == pytest.approx(90.0 * 0.5 ** -0.07)
    hard = C.from_dict({**base, "search": {"mode": "reward", "reward": {"preset": "hard"}}})
    assert reward({"accuracy": 90.0, "latency": 10.0}, hard) == pytest.approx(90.0)
    assert reward({"accuracy": 90.0, "latency": 40.0}, hard) == pytest.approx(45.0)
    assert math.isnan(reward({"accuracy": 90.0, "latency": math.nan}, hard))
