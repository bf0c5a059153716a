import math

import pytest
import torch

from mobo.acquisition import MeasuredEHVI, MeasuredOutcomes, qlogehvi_measured
from mobo.config import ObjectiveConfig
from mobo.pareto import hypervolume
from mobo.surrogate import fit_gp


@pytest.fixture(scope="module")
def two_outcome_gp():
    """A GP of two noisy outcomes on 3 inputs (the second sees only the first column)."""
    torch.manual_seed(0)
    x = torch.rand(16, 3, dtype=torch.float64)
    y = torch.stack([x.sum(-1), -x[:, 0]], dim=-1) + 0.1 * torch.randn(16, 2, dtype=torch.float64)
    bounds = torch.stack([torch.zeros(3), torch.ones(3)]).double()
    return fit_gp(x, y, bounds, features=[[0, 1, 2], [0]]), y


def test_measured_outcomes_add_the_gp_noise(two_outcome_gp):
    """A new measurement's posterior: the GP's mean, its variance plus the fitted noise."""
    model, _ = two_outcome_gp
    x = torch.rand(5, 3, dtype=torch.float64)
    latent, measured = model.posterior(x), MeasuredOutcomes(model).posterior(x)
    noise = torch.stack([gp.likelihood.noise.squeeze() * gp.outcome_transform.stdvs.squeeze() ** 2
                         for gp in model.models])
    assert torch.allclose(measured.mean, latent.mean)
    assert torch.allclose(measured.variance, latent.variance + noise, rtol=1e-6)
    assert bool((noise > 0).all())


def test_qlogehvi_measured_is_the_expected_gain_over_the_measured_front(two_outcome_gp):
    """exp(acquisition) matches a plain Monte Carlo estimate of E[HV(front + y) - HV(front)]
    with y drawn as a new measurement (without the noise the estimate is 7 times smaller at
    this candidate), and a better measured front leaves less to gain."""
    model, y = two_outcome_gp
    ref = torch.tensor([1.0, -0.8], dtype=torch.float64)
    x = torch.tensor([[0.9, 0.8, 0.7], [0.2, 0.9, 0.9]], dtype=torch.float64)
    acq = qlogehvi_measured(model, y, ref, [], mc_samples=512)
    values = acq(x.unsqueeze(1)).detach()
    torch.manual_seed(1)
    draws = MeasuredOutcomes(model).posterior(x[:1]).rsample(torch.Size([3000])).detach()  # 3000 x 1 x 2
    base = hypervolume(y, ref)
    expected = sum(hypervolume(torch.cat([y, d]), ref) - base for d in draws) / len(draws)
    assert math.isclose(math.exp(float(values[0])), expected, rel_tol=0.15)
    better = torch.cat([y, torch.tensor([[3.0, -0.1]], dtype=torch.float64)])
    assert bool((qlogehvi_measured(model, better, ref, [], mc_samples=512)(x.unsqueeze(1)) < values).all())


OBJECTIVES = (ObjectiveConfig("accuracy", "table", "maximize"), ObjectiveConfig("latency", "table", "minimize"))


def test_measured_ehvi_is_the_exact_expected_gain(two_outcome_gp):
    """The analytic value matches a plain Monte Carlo estimate of E[HV(front + y) - HV(front)] (y a
    new measurement) to its sampling error, also for a candidate that gains an eighth as much;
    a better front leaves less to gain."""
    model, y = two_outcome_gp
    ref = torch.tensor([1.0, -0.8], dtype=torch.float64)
    x = torch.tensor([[0.9, 0.8, 0.7], [0.2, 0.9, 0.9], [0.05, 0.05, 0.05]], dtype=torch.float64)
    values = MeasuredEHVI(model, y, ref, OBJECTIVES)(x.unsqueeze(1)).detach()
    torch.manual_seed(1)
    draws = MeasuredOutcomes(model).posterior(x).rsample(torch.Size([4000])).detach()  # 4000 x 3 x 2
    base = hypervolume(y, ref)
    for i in range(3):
        gains = torch.tensor([hypervolume(torch.cat([y, d[i : i + 1]]), ref) - base for d in draws])
        assert abs(float(values[i]) - float(gains.mean())) < 4 * float(gains.std()) / math.sqrt(len(gains)) + 1e-9
    assert 0.0 < float(values[2]) < 0.2 * float(values[0])
    better = torch.cat([y, torch.tensor([[3.0, -0.1]], dtype=torch.float64)])
    assert bool((MeasuredEHVI(model, better, ref, OBJECTIVES)(x.unsqueeze(1)) < values).all())


def test_measured_ehvi_counts_pending_points_at_their_means(two_outcome_gp):
    """A batch's later pick: the earlier pick, believed measured at its posterior mean, joins the
    front, so its twin gains less and a point it does not dominate keeps more; clearing the
    pending points restores the values."""
    model, y = two_outcome_gp
    ref = torch.tensor([1.0, -0.95], dtype=torch.float64)  # the first point's mean (2.3, -0.87) counts
    x = torch.tensor([[0.9, 0.8, 0.7], [0.9, 0.8, 0.7], [0.2, 0.9, 0.9]], dtype=torch.float64)
    acq = MeasuredEHVI(model, y, ref, OBJECTIVES)
    alone = acq(x.unsqueeze(1)).detach()
    acq.set_X_pending(x[:1])
    beside = acq(x.unsqueeze(1)).detach()
    assert float(beside[1]) < 0.9 * float(alone[1])
    assert float(beside[2]) / float(alone[2]) > float(beside[1]) / float(alone[1])
    acq.set_X_pending(None)
    assert torch.allclose(acq(x.unsqueeze(1)).detach(), alone)


def test_measured_ehvi_leaves_out_a_pending_point_whose_mean_breaks_a_bound(two_outcome_gp):
    """The earlier pick's mean latency (0.87) breaks ``latency <= 0.5``: it joins no front, so the
    later picks score as they would alone; without the bound it does join."""
    model, y = two_outcome_gp
    ref = torch.tensor([1.0, -0.95], dtype=torch.float64)
    x = torch.tensor([[0.9, 0.8, 0.7], [0.9, 0.8, 0.7], [0.2, 0.9, 0.9]], dtype=torch.float64)
    bounded = (OBJECTIVES[0], ObjectiveConfig("latency", "table", "minimize", at_most=0.5))
    for objectives, joins in ((bounded, False), (OBJECTIVES, True)):
        acq = MeasuredEHVI(model, y, ref, objectives)
        alone = acq(x.unsqueeze(1)).detach()
        acq.set_X_pending(x[:1])
        assert torch.allclose(acq(x.unsqueeze(1)).detach(), alone) != joins


def test_measured_ehvi_weighs_by_the_chance_of_meeting_a_constraint(two_outcome_gp):
    """``latency <= 0.5`` (the second outcome is minus the latency) multiplies each value by
    P(-y2 <= 0.5) under the new measurement's normal posterior; with no feasible point yet the
    value is still positive."""
    model, y = two_outcome_gp
    ref = torch.tensor([1.0, -0.8], dtype=torch.float64)
    x = torch.tensor([[0.9, 0.8, 0.7], [0.2, 0.9, 0.9]], dtype=torch.float64)
    bounded = (OBJECTIVES[0], ObjectiveConfig("latency", "table", "minimize", at_most=0.5))
    free = MeasuredEHVI(model, y, ref, OBJECTIVES)(x.unsqueeze(1))
    tight = MeasuredEHVI(model, y, ref, bounded)(x.unsqueeze(1))
    posterior = MeasuredOutcomes(model).posterior(x)
    chance = torch.distributions.Normal(0.0, 1.0).cdf(
        (0.5 + posterior.mean[:, 1]) / posterior.variance[:, 1].sqrt())
    assert torch.allclose(tight, free * chance)
    assert bool((chance < 0.99).any())
    assert bool((MeasuredEHVI(model, y[:0], ref, bounded)(x.unsqueeze(1)) > 0).all())


def test_qlogehvi_measured_without_a_feasible_front(two_outcome_gp):
    """No feasible measurement yet: every candidate gains the box it would dominate, weighted by the
    chance that it meets the constraint (latency-like second outcome >= -0.5)."""
    model, y = two_outcome_gp
    ref = torch.tensor([1.0, -0.8], dtype=torch.float64)
    x = torch.tensor([[0.9, 0.8, 0.7], [0.2, 0.9, 0.9]], dtype=torch.float64)
    loose = qlogehvi_measured(model, y[:0], ref, [], mc_samples=256)(x.unsqueeze(1))
    tight = qlogehvi_measured(model, y[:0], ref, [lambda t: -0.5 - t[..., 1]], mc_samples=256)(x.unsqueeze(1))
    assert bool(torch.isfinite(loose).all()) and bool((tight < loose).all())


def test_qlogehvi_measured_never_compiles_botorchs_kernel(two_outcome_gp, monkeypatch):
    """BoTorch would JIT-compile a fused C++ kernel under a lock file that a killed process leaves
    behind (every later search then hangs); the search keeps to the PyTorch path."""
    import torch.utils.cpp_extension as cpp_extension
    from botorch.acquisition.multi_objective import logei

    builds: list[str] = []

    def record(name, *args, **kwargs):  # BoTorch catches a failed build, so record instead
        builds.append(name)
        raise RuntimeError("no build in tests")

    monkeypatch.setattr(cpp_extension, "load", record)
    monkeypatch.setattr(logei, "_load_attempted", False)  # as in a new process
    model, y = two_outcome_gp
    acq = qlogehvi_measured(model, y, torch.tensor([1.0, -0.8], dtype=torch.float64), [], mc_samples=16)
    assert builds == [] and logei._C is None
    assert torch.isfinite(acq(torch.rand(4, 1, 3, dtype=torch.float64))).all()
