"""GP surrogates on latent points or encodings of architectures, one input set per outcome if asked."""

from __future__ import annotations

import warnings

import torch
from botorch.fit import fit_gpytorch_mll
from botorch.models import ModelListGP, SingleTaskGP
from botorch.models.transforms import Normalize, Standardize
from botorch.models.transforms.input import ChainedInputTransform, FilterFeatures
from botorch.models.utils.gpytorch_modules import get_covar_module_with_dim_scaled_prior
from gpytorch.means import Mean
from gpytorch.mlls import ExactMarginalLogLikelihood
from torch import Tensor, nn


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


class LastColumnTrend(Mean):
    """Prior mean ``c + w * x[..., -1]``: linear in the last input column (a proxy score), whose
    offset ``c`` and slope ``w`` are fitted with the kernel's hyperparameters."""

    def __init__(self) -> None:
        super().__init__()
        self.register_parameter("constant", nn.Parameter(torch.zeros(1)))
        self.register_parameter("weight", nn.Parameter(torch.zeros(1)))

    def forward(self, x: Tensor) -> Tensor:
        """``... x n x d`` inputs to ``... x n`` prior means."""
        return self.constant + self.weight * x[..., -1]


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
    trend: list[bool] | None = None,
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
        trend: per outcome (with ``features``), whether the last of its columns
            enters its GP's prior mean linearly (:class:`LastColumnTrend`)
            instead of its kernel, which then sees the other columns only: a
            proxy score shifts the prediction, yet the kernel still correlates
            structurally close architectures whose proxies differ.

    Returns:
        A batched ``SingleTaskGP`` without ``features``, else a ``ModelListGP``
        of one ``SingleTaskGP`` per outcome; both take ``x``'s ``d`` columns
        and standardize the outcomes inside.
    """
    if features is None:
        if trend is not None and any(trend):
            raise ValueError("trend: needs features (the columns each outcome's GP sees)")
        model = SingleTaskGP(
            x, y, input_transform=Normalize(d=x.shape[-1], bounds=bounds), outcome_transform=Standardize(m=y.shape[-1])
        )
    else:
        if len(features) != y.shape[-1]:
            raise ValueError(f"features: {len(features)} column lists for {y.shape[-1]} outcomes")
        trend = [False] * len(features) if trend is None else trend
        if len(trend) != len(features):
            raise ValueError(f"trend: {len(trend)} flags for {len(features)} outcomes")
        models = []
        for k, (columns, linear) in enumerate(zip(features, trend)):
            keep = torch.tensor(columns, dtype=torch.long)
            transform = ChainedInputTransform(
                select=FilterFeatures(feature_indices=keep), normalize=Normalize(d=len(columns), bounds=bounds[:, keep])
            )
            modules = {}
            if linear:
                if len(columns) < 2:
                    raise ValueError(f"trend: outcome {k} has {len(columns)} column(s); a trend needs a kernel column too")
                modules = {"mean_module": LastColumnTrend(), "covar_module": get_covar_module_with_dim_scaled_prior(
                    ard_num_dims=len(columns) - 1, active_dims=list(range(len(columns) - 1)))}
            models.append(SingleTaskGP(x, y[:, k : k + 1], input_transform=transform,
                                       outcome_transform=Standardize(m=1), **modules))
        model = ModelListGP(*models)
    if warm_start is not None:
        model.load_state_dict(warm_start, strict=False)
    for gp in model.models if isinstance(model, ModelListGP) else [model]:
        with warnings.catch_warnings():
            # Inputs of distinct architectures can sit close together; the
            # jitter warnings that follow are expected and handled by gpytorch.
            warnings.simplefilter("ignore")
            fit_gpytorch_mll(
                ExactMarginalLogLikelihood(gp.likelihood, gp), optimizer_kwargs={"options": {"maxiter": maxiter}}
            )
    return model
