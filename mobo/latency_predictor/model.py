"""The few-shot latency predictor: meta-learned architecture features, one linear head per device.

The model follows HELP (Lee et al., "HELP: Hardware-Adaptive Efficient Latency Prediction
for NAS via Meta-Learning", NeurIPS 2021) in what it asks of a new device: its latencies on
a small fixed set of reference architectures, from which the device's representation is
computed. It replaces HELP's MAML inner loop by the closed-form adaptation of ANIL and
ALPaCA (Raghu et al., ICLR 2020; Harrison et al., WAFR 2018): meta-training learns an
architecture feature map shared by every device, ``log latency_d(a) ~ [phi(a), 1] . w_d``;
adapting to a new device is Bayesian linear regression of its measurements on ``phi``
under the prior the training devices' heads ``w_d`` give. The reference set is the greedy
D-optimal design in ``phi``: the architectures that pin the new head down best.

Why these choices (features, noise, prior jitter, design): ``docs/decisions/0009-latency-predictor.md``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from mobo.candidates import initial_design
from spaces import Arch, SearchSpace
from spaces.base import Featurized, require
from spaces.io import atomic_save_torch

FORMAT = "latentnas-latency-predictor"
VERSION = 1
# the pool a reference set is chosen from in a space too large to enumerate
POOL_SIZE = 20_000


@dataclass(frozen=True)
class PredictorSettings:
    """Settings of meta-training and adaptation.

    Attributes:
        features: width ``K`` of the learned architecture features.
        hidden: width of the feature network's two hidden layers.
        steps: meta-training steps (Adam, cosine-annealed learning rate).
        batch_size: architectures per step (every device's latency of each).
        lr: initial learning rate.
        noise: standard deviation of a measurement around the head's prediction, in
            log-ms (0.05: about 5 %).
        jitter: prior variance added to every head weight, as a share of the training
            heads' mean variance (lets a new device leave the training heads' span).
    """

    features: int = 16
    hidden: int = 128
    steps: int = 1500
    batch_size: int = 2048
    lr: float = 3e-3
    noise: float = 0.05
    jitter: float = 1e-3


def feature_network(width: int, settings: PredictorSettings) -> nn.Module:
    """The shared map from one-hot choices (``n x width``) to features (``n x K``)."""
    h = settings.hidden
    return nn.Sequential(nn.Linear(width, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, settings.features))


def space_pool(space: SearchSpace, seed: int = 0) -> list[Arch]:
    """Every architecture of a space of at most ``POOL_SIZE``, else ``POOL_SIZE`` distinct uniform
    samples (fixed by ``seed``)."""
    if space.size is not None and space.size <= POOL_SIZE:
        return list(space.enumerate())
    return initial_design(space, POOL_SIZE, seed)


@dataclass
class LatencyPredictor:
    """A meta-trained predictor, and once adapted, one device's latency model.

    Attributes:
        space: name of the space it was fitted for.
        width: length of the space's one-hot encoding.
        devices: the training devices (table columns), in head order.
        heads: ``(K + 1) x D`` head weights of the training devices (log-ms; last row: the
            intercept).
        settings: the settings it was trained with.
        network: the feature network's state dict.
        weights: ``K + 1`` posterior mean head of the adapted device (``None`` before adapting).
        measured: the measurements adapted to, ``arch string -> ms``.
    """

    space: str
    width: int
    devices: list[str]
    heads: Tensor
    settings: PredictorSettings
    network: dict[str, Tensor]
    weights: Tensor | None = None
    measured: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._net = feature_network(self.width, self.settings).double()
        self._net.load_state_dict({k: v.double() for k, v in self.network.items()})
        self._net.eval()

    @property
    def adapted(self) -> bool:
        return self.weights is not None

    def check_space(self, space: SearchSpace) -> None:
        """Raises ``ValueError`` unless ``space`` is the space the predictor was fitted for."""
        if space.name != self.space:
            raise ValueError(f"the latency predictor was fitted for space {self.space!r}, not {space.name!r}")
        width = len(space.one_hot(space.sample(random.Random(0))))
        if width != self.width:
            raise ValueError(f"the latency predictor was fitted for a {self.space!r} encoding of width {self.width}, "
                             f"this one has {width}")

    def design(self, space: SearchSpace, archs: Sequence[Arch]) -> Tensor:
        """``n x (K + 1)`` features of ``archs`` with a constant last column."""
        require(space, Featurized, "the latency predictor")
        x = torch.tensor([space.one_hot(a) for a in archs], dtype=torch.float64).reshape(len(archs), self.width)
        with torch.no_grad():
            phi = self._net(x)
        return torch.cat([phi, torch.ones(len(archs), 1, dtype=torch.float64)], dim=1)

    def prior(self) -> tuple[Tensor, Tensor]:
        """The prior of a new device's head: mean ``K + 1`` and covariance ``(K + 1) x (K + 1)``
        of the training heads, with the jitter on the diagonal and a vague intercept (a new
        device may be any constant factor faster or slower)."""
        w = self.heads
        mean = w.mean(dim=1)
        cov = torch.cov(w) if w.shape[1] > 1 else torch.zeros(len(mean), len(mean), dtype=w.dtype)
        scale = float(torch.diagonal(cov).mean()) if w.shape[1] > 1 else 1.0
        cov = cov + self.settings.jitter * max(scale, 1e-6) * torch.eye(len(mean), dtype=w.dtype)
        cov[-1, -1] += 100.0
        return mean, cov

    def suggest(self, space: SearchSpace, k: int, pool: Sequence[Arch] | None = None) -> list[Arch]:
        """The ``k`` architectures to measure on a new device: a greedy D-optimal design in the
        features (each pick maximizes the leverage ``a^T M^-1 a`` given those before it).

        Args:
            space: the predictor's space.
            k: how many.
            pool: where to choose from (default :func:`space_pool`).

        Returns:
            ``k`` distinct architectures, in the order they were picked (the first ones
            matter most).
        """
        self.check_space(space)
        pool = list(pool) if pool is not None else space_pool(space)
        a = self.design(space, pool)
        a = a / a.square().sum(dim=0).mean().sqrt()
        m = 1e-3 * torch.eye(a.shape[1], dtype=a.dtype)
        chosen: list[int] = []
        for _ in range(min(k, len(pool))):
            gain = (a @ torch.linalg.inv(m) * a).sum(dim=1)
            gain[chosen] = -1.0
            i = int(gain.argmax())
            chosen.append(i)
            m = m + torch.outer(a[i], a[i])
        return [pool[i] for i in chosen]

    def adapt(self, space: SearchSpace, measurements: dict[str, float]) -> LatencyPredictor:
        """The predictor of one device: the posterior mean head given its measured latencies.

        Args:
            space: the predictor's space.
            measurements: architecture string -> latency (ms, > 0); one or more.

        Returns:
            A copy with ``weights`` and ``measured`` set.
        """
        self.check_space(space)
        if not measurements:
            raise ValueError("no measurements to adapt to")
        archs = [space.parse(text) for text in measurements]
        a = self.design(space, archs)
        y = torch.tensor([np.log(v) for v in measurements.values()], dtype=torch.float64)
        mean, cov = self.prior()
        precision = torch.linalg.inv(cov)
        noise = self.settings.noise ** 2
        weights = torch.linalg.solve(precision + a.T @ a / noise, precision @ mean + a.T @ y / noise)
        return LatencyPredictor(self.space, self.width, self.devices, self.heads, self.settings, self.network,
                                weights, dict(measurements))

    def predict_log(self, space: SearchSpace, archs: Sequence[Arch]) -> Tensor:
        """``n`` predicted log-latencies (log-ms) of an adapted predictor."""
        if self.weights is None:
            raise ValueError("the latency predictor is not adapted to a device yet: run "
                             "'python -m mobo.latency_predictor adapt' first")
        self.check_space(space)
        return self.design(space, archs) @ self.weights

    def predict(self, space: SearchSpace, archs: Sequence[Arch]) -> Tensor:
        """``n`` predicted latencies (ms) of an adapted predictor."""
        return self.predict_log(space, archs).exp()

    def save(self, path: Path) -> None:
        """Writes the predictor atomically."""
        atomic_save_torch({"format": FORMAT, "version": VERSION, "space": self.space, "width": self.width,
                           "devices": self.devices, "heads": self.heads, "settings": asdict(self.settings),
                           "network": self.network, "weights": self.weights, "measured": self.measured}, Path(path))

    @staticmethod
    def load(path: str | Path) -> LatencyPredictor:
        """Reads a predictor written by :meth:`save`.

        Raises:
            ValueError: when the file is missing or is not a latency predictor.
        """
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"latency predictor {str(path)!r} does not exist")
        try:
            data: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # torch raises many kinds for a file that is not its own
            raise ValueError(f"{str(path)!r} is not a latency predictor ({type(err).__name__})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{str(path)!r} is not a latency predictor")
        if data.get("version") != VERSION:
            raise ValueError(f"latency predictor {str(path)!r} has format version {data.get('version')}, "
                             f"this LatentNAS reads {VERSION}; fit it again")
        return LatencyPredictor(data["space"], data["width"], list(data["devices"]), data["heads"],
                                PredictorSettings(**data["settings"]), data["network"], data["weights"],
                                dict(data["measured"]))
