"""Settings of a graph VAE: its architecture and its training, as plain dataclasses.

Kept free of torch imports so that validating a search configuration does not load
the model code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSettings:
    """The graph VAE's architecture (the space fixes the node vocabulary and graph size).

    Attributes:
        latent_dim: dimension ``d`` of the latent vector ``z``.
        hidden_dim: width of the GIN layers and of the decoder MLP.
        num_layers: number of (bidirectional) GIN layers of the encoder.
    """

    latent_dim: int = 16
    hidden_dim: int = 64
    num_layers: int = 3

    def __post_init__(self) -> None:
        _at_least_one(self, ("latent_dim", "hidden_dim", "num_layers"))


@dataclass(frozen=True)
class TrainSettings:
    """How the graph VAE is trained.

    Attributes:
        epochs: passes over the training split.
        beta: weight of the KL term.
        lr: peak Adam learning rate (one-cycle schedule).
        batch_size: graphs per step.
        seed: fixes the split, the initialization and the sampling.
        max_archs: train on at most this many architectures (a uniform sample
            when the space is larger or not enumerable).
        test_fraction: share of architectures held out for the metrics.
    """

    epochs: int = 30
    beta: float = 0.005
    lr: float = 2e-3
    batch_size: int = 256
    seed: int = 0
    max_archs: int = 100_000
    test_fraction: float = 0.1

    def __post_init__(self) -> None:
        _at_least_one(self, ("epochs", "batch_size", "max_archs"))
        if not 0.0 <= self.test_fraction < 1.0:
            raise ValueError(f"test_fraction must be in [0, 1), got {self.test_fraction}")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")


def _at_least_one(settings: object, keys: tuple[str, ...]) -> None:
    for key in keys:
        if getattr(settings, key) < 1:
            raise ValueError(f"{key} must be at least 1, got {getattr(settings, key)}")
