import json
import math

import pytest
import torch

import mobo.proxy_inputs as proxy_inputs
from mobo.objectives.proxy import synflow
from mobo.proxy_inputs import ProxyInputs, log1p10, proxy_cache_path
from spaces import get_space

CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"


def test_log1p10_known_values():
    assert log1p10(float("nan")) == 0.0  # no signal flow: SynFlow 0
    assert log1p10(0.0) == pytest.approx(math.log10(2))
    assert log1p10(2.0) == pytest.approx(math.log10(101))
    assert log1p10(300.0) == 300.0  # 10**300 would overflow the sum; log10(1 + s) = log10(s) there
    assert log1p10(-1.0) < log1p10(0.0) < log1p10(2.0)


def test_scores_are_the_small_networks_synflow_and_are_cached(tmp_path, monkeypatch):
    space = get_space("nb201")
    cache = proxy_cache_path(space, "synflow", tmp_path)
    assert cache.parent == tmp_path / ".cache" / "proxy"
    assert proxy_cache_path(get_space("nb201", channels=8), "synflow", tmp_path) != cache  # keyed by the network
    archs = [space.parse(CELL), space.parse(CELL.replace("skip_connect~1", "none~1"))]
    scores = ProxyInputs(space, cache)(archs)
    assert scores.shape == (2, 1) and scores.dtype == torch.float64
    small = space.proxy_network
    assert small == {"cells_per_stage": 1, "image_size": 8}
    expected = synflow(space.build_seeded(archs[0], 0, **small), space.input_shape(**small))
    assert float(scores[0, 0]) == pytest.approx(log1p10(expected))
    assert not cache.exists()  # written on save, once per BO step
    first = ProxyInputs(space, cache)
    first(archs)
    first.save()
    assert json.loads(cache.read_text()) == pytest.approx({space.format(a): float(s) for a, s in zip(archs, scores)})

    def no_scoring(*args, **kwargs):
        raise AssertionError("a cached score was recomputed")

    monkeypatch.setattr(proxy_inputs, "arch_synflow", no_scoring)
    again = ProxyInputs(space, cache)
    assert torch.equal(again(archs), scores)
    # a save merges: entries another run wrote meanwhile stay
    cache.write_text(json.dumps({**json.loads(cache.read_text()), "other": 1.5}))
    again.scores["third"] = 2.5
    again._new = 1
    again.save()
    assert set(json.loads(cache.read_text())) == {*(space.format(a) for a in archs), "other", "third"}


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"a": "fast"}'])
def test_an_unreadable_cache_is_recomputed(tmp_path, text):
    space = get_space("nb201")
    cache = tmp_path / "proxy.json"
    cache.write_text(text)
    proxy = ProxyInputs(space, cache)
    assert proxy.scores == {}
    scores = proxy([space.parse(CELL)])
    assert torch.isfinite(scores).all()
    proxy.save()
    assert set(json.loads(cache.read_text())) == {CELL}  # the broken file is replaced
