"""Training-free proxies of accuracy, computed from the untrained network (labelled as proxies)."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import torch
from torch import Tensor, nn

from mobo.objectives.base import BuildContext, Evaluator, ObjectiveSource, register
from spaces.base import NetworkBuilder, require
from mobo.objectives.training import TrainSource
from spaces import Arch, SearchSpace

if TYPE_CHECKING:
    from mobo.config import Config


def _total(out: Tensor | list[Tensor] | tuple[Tensor, ...]) -> Tensor:
    return out.sum() if isinstance(out, Tensor) else sum(o.sum() for o in out)  # type: ignore[return-value]


def synflow(model: nn.Module, input_shape: tuple[int, int, int], in_place: bool = False) -> float:
    """log10 of the SynFlow score of ``model`` (higher = more trainable signal flow).

    Runs in float64 (the score of a deep network overflows float32) on a copy
    with absolute weights and BN in eval mode (so it is an affine map), on an
    all-ones input of ``1 x input_shape``. float64 convolutions are slow on
    CPU, so score at a small ``image_size`` (a YOLOv7 at 64 px: a few seconds).
    ``in_place``: change ``model`` itself instead of a copy (for a model built
    only to be scored; the copy costs as much as the pass on a small network).
    """
    net = (model if in_place else copy.deepcopy(model)).double().eval()
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
    net.zero_grad()
    _total(net(torch.ones(1, *input_shape, dtype=torch.float64))).backward()
    with torch.no_grad():
        score = sum(float((p * p.grad).abs().sum()) for p in net.parameters() if p.grad is not None)
    return math.log10(score) if score > 0 else float("nan")


# Activations whose input's sign is the unit's on/off code (NASWOT's binary code of a ReLU;
# the same sign pattern gates SiLU and LeakyReLU).
_GATES = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.SiLU, nn.Hardswish)
# NASWOT's data: this many images of the digits set (the training objective's split).
NASWOT_BATCH = 64
#: the proxies :func:`arch_proxy` scores
PROXY_KINDS = ("synflow", "naswot")


def naswot(model: nn.Module, batch: Tensor) -> float:
    """The NASWOT score of ``model`` (Mellor et al. 2021; higher = inputs better told apart).

    Each activation unit's on/off code (sign of its input) over ``batch`` gives a
    binary vector per image; ``K[i, j]`` counts the units on which images ``i`` and
    ``j`` agree, and the score is ``log |det K|``: networks whose untrained
    activations keep the images of a batch apart train to higher accuracy.

    Args:
        model: the untrained network (run in eval mode, without gradients).
        batch: ``b x C x H x W`` images.

    Returns:
        ``log |det K|`` (natural log; NaN when ``K`` is singular).
    """
    k = torch.zeros(batch.shape[0], batch.shape[0], dtype=torch.float64)

    def add_codes(module: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        on = (inputs[0].detach().flatten(1) > 0).double()
        k.add_(on @ on.T + (1 - on) @ (1 - on).T)

    hooks = [m.register_forward_hook(add_codes) for m in model.modules() if isinstance(m, _GATES)]
    try:
        with torch.no_grad():
            model.eval()(batch)
    finally:
        for h in hooks:
            h.remove()
    sign, logdet = torch.linalg.slogdet(k)
    return float(logdet) if sign > 0 else float("nan")


def naswot_batch(input_shape: tuple[int, int, int]) -> Tensor:
    """:data:`NASWOT_BATCH` digits images (standardized, the training objective's split) resized to
    ``input_shape`` = ``(C, H, W)`` and repeated over ``C`` channels: ``b x C x H x W``."""
    from mobo.objectives.training import load_split

    x = load_split("digits", TrainSource.test_fraction).x_train[:NASWOT_BATCH]
    c, h, w = input_shape
    if x.shape[-2:] != (h, w):
        x = nn.functional.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
    return x.repeat(1, c, 1, 1) if c != 1 else x


def arch_proxy(kind: str, space: SearchSpace, arch: Arch, seed: int, **overrides: int) -> float:
    """The ``kind`` proxy (``synflow``: :func:`synflow`; ``naswot``: :func:`naswot` on
    :func:`naswot_batch`) of ``arch``'s network built with initial weights from ``seed`` (the
    score depends on them) and network ``overrides``; the network is built for the score alone."""
    model, shape = space.build_seeded(arch, seed, **overrides), space.input_shape(**overrides)
    if kind == "synflow":
        return synflow(model, shape, in_place=True)
    if kind == "naswot":
        return naswot(model, naswot_batch(shape))
    raise ValueError(f"unknown proxy kind {kind!r}; known kinds: {', '.join(PROXY_KINDS)}")


class ProxyScore:
    """Evaluator: the proxy of :class:`ProxySource` (unitless, maximize)."""

    def __init__(self, space: SearchSpace, options: ProxySource, seed: int = 0) -> None:
        self.space = space
        self.options = options
        self.seed = seed

    def __call__(self, arch: Arch) -> float:
        overrides = {} if self.options.image_size is None else {"image_size": self.options.image_size}
        return arch_proxy(self.options.kind, self.space, arch, self.seed, **overrides)


@register
@dataclass(frozen=True)
class ProxySource(ObjectiveSource):
    """``source: proxy``: a training-free score of the untrained network (maximize).

    A proxy is not an accuracy: the objective's name must contain ``proxy``,
    so every column, plot and report labels it as one.

    Attributes:
        kind: ``synflow`` (log10 of SynFlow, Tanaka et al. 2020: the sum over
            parameters of ``|theta * dR/dtheta|`` for ``R`` = the sum of the
            outputs of the network with absolute weights on an all-ones input),
            or ``naswot`` (Mellor et al. 2021: ``log |det K|`` of the activations'
            on/off codes of 64 digits images, :func:`mobo.objectives.proxy.naswot`).
        image_size: input height/width for the score (px); default: the space's.
    """

    kind: Literal["synflow", "naswot"] = "synflow"
    image_size: int | None = None
    name: ClassVar[str] = "proxy"
    is_proxy: ClassVar[bool] = True

    def unit(self) -> str:
        return "proxy, not accuracy"

    def check(self, objective: str, config: Config) -> None:
        if "proxy" not in objective.lower():
            raise ValueError(f"objectives.{objective}: a proxy is not an accuracy; name the objective so every "
                             f"output labels it (e.g. '{objective}_proxy')")

    def build(self, context: BuildContext) -> Evaluator:
        require(context.space, NetworkBuilder, f"source '{self.name}'")
        return ProxyScore(context.space, self, context.seed)
