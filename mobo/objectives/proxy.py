"""Training-free proxies of accuracy, computed from the untrained network (labelled as proxies)."""

from __future__ import annotations

import copy
import math

import torch
from torch import Tensor, nn

from mobo.objectives.options import ProxyOptions
from spaces import Arch, SearchSpace


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


def arch_synflow(space: SearchSpace, arch: Arch, seed: int, **overrides: int) -> float:
    """:func:`synflow` of ``arch``'s network built with initial weights from ``seed`` (the score
    depends on them) and network ``overrides``; the network is built for the score alone."""
    return synflow(space.build_seeded(arch, seed, **overrides), space.input_shape(**overrides), in_place=True)


class ProxyScore:
    """Evaluator: the proxy of :class:`ProxyOptions` (unitless, maximize)."""

    def __init__(self, space: SearchSpace, options: ProxyOptions, seed: int = 0) -> None:
        self.space = space
        self.options = options
        self.seed = seed

    def __call__(self, arch: Arch) -> float:
        overrides = {} if self.options.image_size is None else {"image_size": self.options.image_size}
        return arch_synflow(self.space, arch, self.seed, **overrides)
