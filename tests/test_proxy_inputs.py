import json
import math

import pytest
import torch

import mobo.proxy_inputs as proxy_inputs
from torch import nn

from mobo.objectives.proxy import NASWOT_BATCH, arch_proxy, naswot, naswot_batch, synflow
from mobo.proxy_inputs import ProxyInputs, log1p10, proxy_cache_path, proxy_input
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

    monkeypatch.setattr(proxy_inputs, "arch_proxy", no_scoring)
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


def test_naswot_known_value():
    # the codes (sign of the activation's input) of two images over three units: 101 and 110;
    # K = [[3, 1], [1, 3]] (agreements), log det K = log 8
    batch = torch.tensor([[1.0, -1.0, 2.0], [1.0, 1.0, -1.0]])
    assert naswot(nn.Sequential(nn.Identity(), nn.ReLU()), batch) == pytest.approx(math.log(8))
    # two activations add their agreements: K = 2 [[3, 1], [1, 3]], log det = log 32
    assert naswot(nn.Sequential(nn.ReLU(), nn.SiLU()), batch) == pytest.approx(math.log(32))
    assert math.isnan(naswot(nn.ReLU(), batch[[0, 0]]))  # identical codes: K singular
    assert proxy_input("naswot", float("nan")) == 0.0 and proxy_input("naswot", 7.5) == 7.5
    assert proxy_input("synflow", 2.0) == log1p10(2.0)


def test_naswot_batch_is_the_digits_at_the_networks_shape():
    x = naswot_batch((3, 8, 8))
    assert x.shape == (NASWOT_BATCH, 3, 8, 8) and torch.equal(x[:, 0], x[:, 2])
    assert naswot_batch((1, 16, 16)).shape == (NASWOT_BATCH, 1, 16, 16)
    assert abs(float(x.mean())) < 0.3  # standardized as the training objective's split


def test_naswot_inputs_are_cached_apart_from_synflow(tmp_path):
    space = get_space("nb201")
    cache = proxy_cache_path(space, "naswot", tmp_path)
    assert cache != proxy_cache_path(space, "synflow", tmp_path) and cache.name.startswith("nb201-naswot-")
    archs = [space.parse(CELL), space.parse(CELL.replace("nor_conv_3x3", "none"))]
    proxy = ProxyInputs(space, cache, "naswot")
    scores = proxy(archs)
    small = space.proxy_network
    assert float(scores[0, 0]) == pytest.approx(arch_proxy("naswot", space, archs[0], 0, **small))
    assert 100 < float(scores[0, 0])  # log det of a 64 x 64 count matrix over thousands of units
    assert float(scores[1, 0]) < float(scores[0, 0])  # fewer convolutions tell fewer images apart
    proxy.save()
    assert json.loads(cache.read_text()) == pytest.approx({space.format(a): float(s) for a, s in zip(archs, scores)})
    with pytest.raises(ValueError, match="unknown proxy kind 'jacov'"):
        arch_proxy("jacov", space, archs[0], 0)
