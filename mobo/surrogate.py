"""GP surrogates: one independent GP per outcome, each on the input columns it needs (Rasmussen &
Williams 2006; BoTorch ``SingleTaskGP``)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from botorch.exceptions.warnings import OptimizationWarning
from botorch.fit import fit_gpytorch_mll
from botorch.models import ModelListGP, SingleTaskGP
from botorch.models.transforms import Normalize, Standardize
from botorch.models.transforms.input import ChainedInputTransform, FilterFeatures
from gpytorch.mlls import ExactMarginalLogLikelihood
from linear_operator.utils.warnings import NumericalWarning
from torch import Tensor

from mobo.config import ObjectiveConfig
from mobo.features import Layout


_HYPERPARAMETERS = ("mean_module.", "covar_module.", "likelihood.")


def hyperparameters(model: SingleTaskGP | ModelListGP) -> dict[str, Tensor]:
    """The fitted mean, kernel and noise parameters of ``model`` (to warm-start the next fit);
    for a :class:`ModelListGP`, keyed ``models.<k>.<name>``."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()
            if k.removeprefix("models.").lstrip("0123456789.").startswith(_HYPERPARAMETERS)}


def clip_below_reference(y: Tensor, ref_point: Tensor, share: float = 0.5) -> Tensor:
    """Raises outcomes far below the reference point to a floor, for the GP fit only.

    Values below the reference add no hypervolume, so how far below they lie
    only pulls the GP's scale and lengthscales towards the region that does not
    count (on NB201, a few broken cells at 10 % accuracy set the variance of the
    whole accuracy model). Per outcome, the floor sits ``share`` of the
    (best - reference) distance below the reference; an outcome in which no
    observation beats the reference is left as it is.

    Args:
        y: ``n x m`` outcomes, every column maximized.
        ref_point: ``m`` reference point (maximize form).

    Returns:
        ``n x m`` clipped outcomes.
    """
    gain = y.max(dim=0).values - ref_point
    floor = torch.where(gain > 0, ref_point - share * gain, torch.full_like(gain, -torch.inf))
    return torch.maximum(y, floor)


def compress_below_reference(y: Tensor, ref_point: Tensor, share: float = 0.5) -> Tensor:
    """Compresses outcomes below the reference point logarithmically, for the GP fit only.

    Like :func:`clip_below_reference`, but order-preserving: with the scale
    ``s = share * (best - reference)``, a value ``y`` below the reference ``r``
    becomes ``r - s * log(1 + (r - y) / s)`` (slope 1 at the reference), so a
    broken cell at chance accuracy still reads worse than a mediocre one,
    yet no longer sets the GP's variance. An outcome in which no observation
    beats the reference is left as it is.

    Args:
        y: ``n x m`` outcomes, every column maximized.
        ref_point: ``m`` reference point (maximize form).

    Returns:
        ``n x m`` compressed outcomes.
    """
    scale = share * (y.max(dim=0).values - ref_point)
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    below = ref_point - safe * torch.log1p((ref_point - y).clamp(min=0) / safe)
    return torch.where((scale > 0) & (y < ref_point), below, y)


def unit_box(width: int, dtype: torch.dtype = torch.float64) -> Tensor:
    """``2 x width`` box [0, 1] per column: the input box of one-hot and path-encoding GP inputs."""
    return torch.stack([torch.zeros(width, dtype=dtype), torch.ones(width, dtype=dtype)])


def fit_gp(
    x: Tensor,
    y: Tensor,
    bounds: Tensor,
    maxiter: int = 75,
    warm_start: dict[str, Tensor] | None = None,
    features: list[list[int]] | None = None,
) -> SingleTaskGP | ModelListGP:
    """Fits one independent GP per outcome.

    Args:
        x: ``n x d`` inputs (latent points, or encodings of the architectures).
        y: ``n x m`` outcomes, every column maximized.
        bounds: ``2 x d`` input box; inputs are normalized to the unit cube with it.
        maxiter: L-BFGS iterations of the marginal-likelihood fit. On NB201
            latents, 75 iterations land within a few percent of the converged
            lengthscales in a quarter of the time (2 s vs 8 s at 100 points).
        warm_start: hyperparameters of the previous fit (:func:`hyperparameters`;
            same outcomes, inputs and ``features``): the optimizer starts there
            and usually converges in far fewer iterations.
        features: per outcome, the columns of ``x`` its GP sees (``m`` lists);
            ``None``: every outcome sees all of ``x``.

    Returns:
        A batched ``SingleTaskGP`` without ``features``, else a ``ModelListGP``
        of one ``SingleTaskGP`` per outcome; both take ``x``'s ``d`` columns
        and standardize the outcomes inside.
    """
    if features is None:
        model = SingleTaskGP(
            x, y, input_transform=Normalize(d=x.shape[-1], bounds=bounds), outcome_transform=Standardize(m=y.shape[-1])
        )
    else:
        if len(features) != y.shape[-1]:
            raise ValueError(f"features: {len(features)} column lists for {y.shape[-1]} outcomes")
        models = []
        for k, columns in enumerate(features):
            keep = torch.tensor(columns, dtype=torch.long)
            transform = ChainedInputTransform(
                select=FilterFeatures(feature_indices=keep), normalize=Normalize(d=len(columns), bounds=bounds[:, keep])
            )
            models.append(SingleTaskGP(x, y[:, k : k + 1], input_transform=transform,
                                       outcome_transform=Standardize(m=1)))
        model = ModelListGP(*models)
    if warm_start is not None:
        model.load_state_dict(warm_start, strict=False)
    for gp in model.models if isinstance(model, ModelListGP) else [model]:
        with warnings.catch_warnings():
            # Inputs of distinct architectures can sit close together: gpytorch adds jitter
            # (NumericalWarning), and a fit that stops early keeps its best point.
            warnings.simplefilter("ignore", NumericalWarning)
            warnings.simplefilter("ignore", OptimizationWarning)
            fit_gpytorch_mll(
                ExactMarginalLogLikelihood(gp.likelihood, gp), optimizer_kwargs={"options": {"maxiter": maxiter}}
            )
    return model


def fit_surrogate(
    x: Tensor,
    y: Tensor,
    layout: Layout,
    objectives: Sequence[ObjectiveConfig] | None,
    warm_start: dict[str, Tensor] | None = None,
) -> SingleTaskGP | ModelListGP:
    """Fits the search's surrogate on featurized architectures.

    Args:
        x: ``n x d`` inputs, every column in [0, 1] (:class:`mobo.features.ChoiceFeaturizer`).
        y: ``n x m`` outcomes, every column maximized.
        layout: the columns of ``x`` by name.
        objectives: the ``m`` objectives in outcome order: each GP sees the columns
            :meth:`Layout.objective_columns` gives it; ``None`` (one outcome that mixes
            qualities and costs, the reward mode): one GP on every column.
        warm_start: :func:`hyperparameters` of the previous fit of the same kind.

    Returns:
        The fitted model (see :func:`fit_gp`).
    """
    features = layout.objective_columns(objectives) if objectives is not None else None
    return fit_gp(x, y, unit_box(layout.width, x.dtype), warm_start=warm_start, features=features)


def believe(model: SingleTaskGP | ModelListGP, x_pending: Tensor) -> tuple[SingleTaskGP | ModelListGP, Tensor]:
    """The Kriging believer (Ginsbourger et al. 2010): ``model`` conditioned on its own posterior
    mean at points chosen and not evaluated yet, hyperparameters kept. An acquisition on the
    result values a candidate for what it adds beside them, at the cost of one conditioning
    rather than of joint draws over every pending point (which grow as ``2^k`` in qEHVI).

    Args:
        model: the fitted surrogate (``m`` outcomes).
        x_pending: ``k x d`` inputs of the pending points.

    Returns:
        The conditioned model and the believed outcomes (``k x m``, the model's outcome space).
    """
    with torch.no_grad():
        means = model.posterior(x_pending).mean
    if isinstance(model, ModelListGP):
        conditioned = ModelListGP(*(gp.condition_on_observations(x_pending, means[:, k : k + 1])
                                    for k, gp in enumerate(model.models)))
    else:
        conditioned = model.condition_on_observations(x_pending, means)
    return conditioned, means
