import math

import pytest
import torch

from mobo.acquisition import MeasuredOutcomes, qlogehvi_measured, uncompiled_log_ehvi
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
    behind (every later search then hangs); inside ``uncompiled_log_ehvi`` (a run) the acquisition
    keeps to the PyTorch path, and BoTorch's own state is restored after."""
    import torch.utils.cpp_extension as cpp_extension
    from botorch.acquisition.multi_objective import logei

    builds: list[str] = []

    def record(name, *args, **kwargs):  # BoTorch catches a failed build, so record instead
        builds.append(name)
        raise RuntimeError("no build in tests")

    monkeypatch.setattr(cpp_extension, "load", record)
    monkeypatch.setattr(logei, "_load_attempted", False)  # as in a new process
    model, y = two_outcome_gp
    with uncompiled_log_ehvi():
        acq = qlogehvi_measured(model, y, torch.tensor([1.0, -0.8], dtype=torch.float64), [], mc_samples=16)
        assert builds == [] and logei._C is None
        assert torch.isfinite(acq(torch.rand(4, 1, 3, dtype=torch.float64))).all()
    assert logei._load_attempted is False
