"""Candidate generation and selection of a BO step, and the outcome clipping of the GP fit."""

import math
import random

import pytest
import torch
from botorch.acquisition import AcquisitionFunction

from mobo.candidates import (
    SCALES,
    CandidateContext,
    LatentTrustRegions,
    Neighbours,
    UniformSamples,
    candidate_pool,
    perturb,
)
from mobo.selection import select
from mobo.surrogate import clip_below_reference, compress_below_reference, fit_gp, hyperparameters, unit_box
from spaces import get_space


def pool_of(space, latent, anchors, seen, local, n_random, centres=()):
    """The candidates of the search's three generators around ``anchors`` and ``centres``."""
    bounds = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    generators = [LatentTrustRegions(latent, bounds, local), Neighbours(space), UniformSamples(space, n_random)]
    context = CandidateContext(anchors, list(centres), torch.Generator().manual_seed(0), random.Random(0))
    return candidate_pool(space, generators, context, seen)


def test_clip_below_reference_known_values():
    y = torch.tensor([[94.0, -10.0], [10.0, -80.0], [90.0, -20.0]], dtype=torch.float64)
    ref = torch.tensor([92.0, -30.0], dtype=torch.float64)
    out = clip_below_reference(y, ref)
    # floors: 92 - 0.5 * (94 - 92) = 91; -30 - 0.5 * (-10 + 30) = -40
    assert out.tolist() == [[94.0, -10.0], [91.0, -40.0], [91.0, -20.0]]
    # an outcome in which nothing beats the reference is not clipped
    worse = torch.tensor([95.0, -5.0], dtype=torch.float64)
    assert clip_below_reference(y, worse)[:, 1].tolist() == [-10.0, -80.0, -20.0]


def test_compress_below_reference_keeps_order_and_known_values():
    y = torch.tensor([[94.0, -10.0], [10.0, -80.0], [90.0, -20.0], [91.0, -35.0]], dtype=torch.float64)
    ref = torch.tensor([92.0, -30.0], dtype=torch.float64)
    out = compress_below_reference(y, ref)
    # scales: 0.5 * (94 - 92) = 1; 0.5 * (-10 + 30) = 10; values at or above the reference stay
    assert out[0].tolist() == [94.0, -10.0] and out[2, 1].item() == -20.0
    assert torch.allclose(out[:, 0], torch.tensor([94.0, 92.0 - math.log(83.0), 92.0 - math.log(3.0),
                                                   92.0 - math.log(2.0)], dtype=torch.float64))
    assert torch.isclose(out[1, 1], torch.tensor(-30.0 - 10.0 * math.log(6.0), dtype=torch.float64))
    # the order of every outcome is kept (clipping ties the two worst accuracies)
    assert out[:, 0].argsort().tolist() == y[:, 0].argsort().tolist()
    assert out[:, 1].argsort().tolist() == y[:, 1].argsort().tolist()
    # an outcome in which nothing beats the reference is left as it is
    worse = torch.tensor([95.0, -5.0], dtype=torch.float64)
    assert compress_below_reference(y, worse)[:, 1].tolist() == y[:, 1].tolist()


def test_fit_gp_per_outcome_features():
    """Each outcome's GP sees only its own columns: changing the others leaves its prediction."""
    x = torch.rand(40, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = torch.stack([4.0 * x[:, 0] - x[:, 1], -3.0 * x[:, 4]], dim=-1)
    model = fit_gp(x, y, unit_box(5), features=[[0, 1], [2, 3, 4]])
    test = torch.rand(6, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    moved = test.clone()
    moved[:, 2:] = 1.0 - moved[:, 2:]
    with torch.no_grad():
        a, b = model.posterior(test).mean, model.posterior(moved).mean
    assert a.shape == (6, 2)
    assert torch.allclose(a[:, 0], b[:, 0]) and not torch.allclose(a[:, 1], b[:, 1])
    assert torch.corrcoef(torch.stack([a[:, 0], 4.0 * test[:, 0] - test[:, 1]]))[0, 1] > 0.95
    state = hyperparameters(model)
    assert any(k.startswith("models.1.covar_module") for k in state)
    warm = fit_gp(x, y, unit_box(5), features=[[0, 1], [2, 3, 4]], warm_start=state, maxiter=1)
    assert warm.models[1].covar_module.lengthscale.shape == (1, 3)
    with pytest.raises(ValueError, match="features: 1 column lists for 2 outcomes"):
        fit_gp(x, y, unit_box(5), features=[[0]])


def test_perturb_shapes_and_bounds():
    z = torch.zeros(3, 4, dtype=torch.float64)
    bounds = torch.tensor([[-0.1] * 4, [1.0] * 4], dtype=torch.float64)
    pts = perturb(z, bounds, 5, torch.Generator().manual_seed(0))
    assert pts.shape == (3 * 5 * len(SCALES), 4)
    assert bool((pts >= bounds[0]).all() and (pts <= bounds[1]).all())


class _Decoder:
    """A latent model whose decoder returns the given architectures in turn (tests the pool's bookkeeping)."""

    def __init__(self, space, archs) -> None:
        self.space, self.archs = space, archs

    def decode(self, z):
        return [self.archs[i % len(self.archs)] for i in range(z.shape[0])]


def test_candidate_pool_excludes_seen_strings_not_canonical_twins():
    space = get_space("nb201")
    # two strings of one canonical key (a dead conv on node 2): only the one evaluated is excluded
    evaluated = space.parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|")
    twin = space.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|skip_connect~1|none~2|")
    assert space.canonical_key(evaluated) == space.canonical_key(twin)
    seen = {space.format(evaluated)}
    latent = _Decoder(space, [evaluated, twin])
    pool = pool_of(space, latent, torch.full((2, 2), 0.5, dtype=torch.float64), seen, 8, 0)
    assert [space.format(a) for a in pool] == [space.format(twin)]
    pool = pool_of(space, latent, torch.zeros(0, 2, dtype=torch.float64), seen, 8, 300)
    texts = [space.format(a) for a in pool]
    assert len(texts) == len(set(texts)) > 250 and not seen & set(texts)  # uniform samples, distinct


def test_candidate_pool_leaves_out_constant_networks():
    space = get_space("nb201")
    constant = space.parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|nor_conv_1x1~2|")
    live = space.parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|skip_connect~1|nor_conv_1x1~2|")
    assert space.is_constant(constant) and not space.is_constant(live)
    pool = pool_of(space, _Decoder(space, [constant, live]), torch.full((1, 2), 0.5, dtype=torch.float64), set(), 8,
                   200, [live])
    assert space.format(live) in {space.format(a) for a in pool}
    assert pool and not any(space.is_constant(a) for a in pool)


class _Sum(AcquisitionFunction):
    """Value = the coordinate of a batch's last point, less one per point before it; records every batch."""

    def __init__(self) -> None:
        torch.nn.Module.__init__(self)
        self.X_pending = None
        self.batches: list[torch.Tensor] = []

    def set_X_pending(self, X_pending=None) -> None:
        self.X_pending = X_pending

    def forward(self, X):
        self.batches.append(X)
        return X[..., -1, :].sum(dim=-1) - (X.shape[-2] - 1)


def test_select_greedy_picks_in_order_with_the_earlier_picks_first_in_each_batch():
    codes = torch.tensor([[0.0], [3.0], [1.0], [2.0]])
    acq = _Sum()
    assert select(acq, codes, 3) == [1, 3, 2]
    assert acq.X_pending is None  # set_X_pending would append the picks after each candidate
    assert [tuple(b.shape) for b in acq.batches] == [(4, 1, 1), (4, 2, 1), (4, 3, 1)]
    # each candidate's batch starts with the earlier picks, in pick order
    assert acq.batches[2][:, :2, 0].tolist() == [[3.0, 2.0]] * 4
    assert acq.batches[2][:, 2, 0].tolist() == codes[:, 0].tolist()
    assert select(_Sum(), codes, 10) == [1, 3, 2, 0]  # never more picks than candidates


class _Flip(_Sum):
    """Value = the coordinate alone, its negative beside earlier picks."""

    def forward(self, X):
        self.batches.append(X)
        v = X[..., -1, :].sum(dim=-1)
        return v if X.shape[-2] == 1 else -v


def test_select_rescores_only_the_best_alone():
    codes = torch.tensor([[0.0], [3.0], [1.0], [2.0], [0.5]])
    assert select(_Flip(), codes, 3) == [1, 0, 4]  # all rescored: beside pending, the smallest wins
    acq = _Flip()
    assert select(acq, codes, 3, rescore=2) == [1, 2, 4]  # only the 2 best alone of those left
    assert [b.shape[0] for b in acq.batches] == [5, 2, 2]
    assert select(_Flip(), codes, 3, rescore=4) == [1, 0, 4]  # as many as are left: all
    assert select([_Flip(), _Flip()], codes, 3, rescore=1) == [1, 0, 4]  # one function per pick: all


def _two_objective_gp() -> tuple[torch.Tensor, torch.Tensor, object]:
    torch.manual_seed(0)
    x = torch.rand(40, 3, dtype=torch.float64)
    noise = 0.05 * torch.randn(40, 2, dtype=torch.float64)
    y = torch.stack([torch.sin(3 * x[:, 0]) + x[:, 1], -x[:, 0] ** 2 - x[:, 2]], dim=-1) + noise
    return x, y, fit_gp(x, y, unit_box(3))


def test_earlier_picks_first_draw_them_alike_for_every_candidate():
    from mobo.acquisition import qlogehvi_measured
    from mobo.selection import acquisition_values, takes_pending_itself

    x, y, model = _two_objective_gp()
    acq = qlogehvi_measured(model, y, y.median(dim=0).values, [], 32)
    assert not takes_pending_itself(acq)
    codes = torch.rand(400, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    pick = codes[acquisition_values(acq, codes).argmax()].unsqueeze(0)
    first = acquisition_values(acq, codes, pending=pick)
    acq.set_X_pending(pick)
    after = acquisition_values(acq, codes)
    acq.set_X_pending(None)
    # the half that adds least beside the pick adds (next to) nothing: with the pick drawn first
    # they tie at its own value; appended after them, each candidate re-draws the pick
    low_first, low_after = first.sort().values[:200], after.sort().values[:200]
    assert float(low_first.max() - low_first.min()) < 1e-9
    assert float(low_after.max() - low_after.min()) > 1e-3
    assert (first >= low_first.min() - 1e-9).all()  # no candidate lowers the pick's draws


def test_select_leaves_qlognehvi_pending_points_to_its_baseline():
    from bench.methods import qlognehvi
    from mobo.selection import takes_pending_itself

    x, y, model = _two_objective_gp()
    acq = qlognehvi(model, x, y.median(dim=0).values, [], 16)
    assert takes_pending_itself(acq)
    codes = torch.rand(50, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    seen: list[int] = []
    forward = acq.forward

    def watched(X):
        seen.append(X.shape[-2])
        return forward(X)

    acq.forward = watched
    picks = select(acq, codes, 3)
    assert len(set(picks)) == 3 and acq.X_pending is None
    assert set(seen) == {1}  # one point per batch: the picks went to set_X_pending


def test_default_search_settings_draw_candidates_from_every_generator():
    from mobo.config import SearchSettings

    s = SearchSettings()
    assert (s.local_candidates, s.random_candidates, s.neighbour_candidates) == (64, 500, True)


def test_candidate_pool_holds_the_neighbours_of_the_centres():
    space = get_space("nb201")
    centre = space.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|")
    seen = {space.format(centre), space.format(space.neighbours(centre)[0])}
    pool = pool_of(space, _Decoder(space, [centre]), torch.zeros(0, 2, dtype=torch.float64), seen, 0, 0, [centre])
    assert [space.format(a) for a in pool] == [space.format(n) for n in space.neighbours(centre)[1:]]
