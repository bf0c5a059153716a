"""Short real training: on a dataset that ships with an installed package, or on the user's
own image folder."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Literal

import numpy as np
import torch
from torch import nn

from spaces.profile import torch_threads
from mobo.objectives.base import BuildContext, Evaluator, ObjectiveSource, SettingError, register
from mobo.objectives.images import ImageFolder, Split, augment, load_image_folder
from spaces.base import NetworkBuilder, require
from spaces import Arch, SearchSpace

DATASETS = ("digits",)


@lru_cache(maxsize=4)
def load_split(dataset: str | ImageFolder, test_fraction: float, image_size: int | None = None) -> Split:
    """Loads ``dataset`` with a fixed split (independent of the run's seed).

    ``digits`` is scikit-learn's 8x8 handwritten digits (pixel values 0-16, a stratified
    split); an :class:`ImageFolder` is read by :func:`mobo.objectives.images.load_image_folder`
    at ``image_size`` (default 32) px. Both are standardized with the training split's mean
    and std.
    """
    if isinstance(dataset, ImageFolder):
        return load_image_folder(dataset.image_folder, image_size or 32, test_fraction)
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known datasets: {', '.join(DATASETS)}, or "
                         f"{{image_folder: PATH}}")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits.images.astype(np.float32)[:, None, :, :]
    if image_size is not None and image_size != x.shape[-1]:
        x = torch.nn.functional.interpolate(torch.from_numpy(x), size=image_size, mode="bilinear").numpy()
    y = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction, random_state=0, stratify=y)
    return Split.standardized(x_tr, y_tr, x_te, y_te, num_classes=int(y.max()) + 1)


def resolve_device(device: str) -> torch.device:
    """``auto``: the GPU when one is present, else the CPU; ``cuda`` fails without a GPU."""
    if device == "cuda" and not torch.cuda.is_available():
        raise SettingError("device", "cuda was asked for, but torch sees no GPU here (use auto or cpu)")
    return torch.device("cuda" if device != "cpu" and torch.cuda.is_available() else "cpu")


def train_and_test(model: nn.Module, split: Split, options: TrainSource, seed: int) -> float:
    """Trains ``model`` with SGD (momentum 0.9, cosine schedule) on ``options.device``, with
    random crops and flips when ``options.augment``, and returns test accuracy (%)."""
    gen = torch.Generator().manual_seed(seed)
    device = resolve_device(options.device)
    model = model.to(device)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=options.lr, momentum=0.9, weight_decay=options.weight_decay, nesterov=True
    )
    n = len(split.y_train)
    steps = options.epochs * math.ceil(n / options.batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    loss_fn = nn.CrossEntropyLoss()
    with torch_threads(options.threads):
        model.train()
        for _ in range(options.epochs):
            order = torch.randperm(n, generator=gen)
            for start in range(0, n, options.batch_size):
                idx = order[start : start + options.batch_size]
                x = augment(split.x_train[idx], gen) if options.augment else split.x_train[idx]
                loss = loss_fn(model(x.to(device)), split.y_train[idx].to(device))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
        model.eval()
        with torch.no_grad():
            predictions = torch.cat([model(split.x_test[i:i + 512].to(device)).argmax(dim=1).cpu()
                                     for i in range(0, len(split.y_test), 512)])
    return 100.0 * float((predictions == split.y_test).float().mean())


class TrainedAccuracy:
    """Evaluator: held-out accuracy (%) after short training (higher is better).

    The space's network is built with its stem and classifier sized for the
    dataset (input channels, image size, classes); width and depth are the
    space's. Initialization and batch order are seeded by ``seed``.
    """

    def __init__(self, space: SearchSpace, options: TrainSource, seed: int) -> None:
        self.space = space
        self.options = options
        self.seed = seed
        self.split = load_split(options.dataset, options.test_fraction, options.image_size)

    def __call__(self, arch: Arch) -> float:
        c, h, _ = self.split.x_train.shape[1:]
        model = self.space.build_seeded(
            arch, self.seed, input_channels=c, image_size=h, num_classes=self.split.num_classes
        )
        return train_and_test(model, self.split, self.options, self.seed)


@register
@dataclass(frozen=True)
class TrainSource(ObjectiveSource):
    """``source: train``: short real training; returns held-out accuracy (%).

    Attributes:
        dataset: a dataset shipped with an installed package (``digits``:
            scikit-learn's 8x8 handwritten digits, 1,797 images, 10 classes), or the
            user's images (``{image_folder: PATH}``, :class:`ImageFolder`).
        image_size: px the images are resized to (default: 8 for digits, 32 for a folder).
        augment: random crops and horizontal flips while training.
        device: ``auto`` (a GPU when torch sees one), ``cpu`` or ``cuda``.
        epochs: passes over the training split.
        batch_size: images per SGD step.
        lr: peak learning rate (SGD, momentum 0.9, cosine schedule).
        weight_decay: L2 penalty.
        test_fraction: held-out share (fixed, stratified split).
        threads: torch intra-op threads while training (default: the search's, ``search.threads``).
    """

    dataset: str | ImageFolder = "digits"
    image_size: int | None = None
    augment: bool = False
    device: Literal["auto", "cpu", "cuda"] = "auto"
    epochs: int = 4
    batch_size: int = 64
    lr: float = 0.05
    weight_decay: float = 5e-4
    test_fraction: float = 0.25
    threads: int | None = None
    name: ClassVar[str] = "train"
    error_key: ClassVar[str] = "dataset"

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be at least 1")
        if self.image_size is not None and self.image_size < 4:
            raise ValueError(f"image_size must be at least 4 px, got {self.image_size}")
        if isinstance(self.dataset, str) and self.dataset not in DATASETS:
            raise ValueError(f"dataset: unknown dataset {self.dataset!r}; known datasets: {', '.join(DATASETS)}, "
                             f"or {{image_folder: PATH}}")
        if not 0.0 < self.test_fraction < 1.0:
            raise ValueError(f"test_fraction must be in (0, 1), got {self.test_fraction}")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")

    def unit(self) -> str:
        return "%"

    def build(self, context: BuildContext) -> Evaluator:
        require(context.space, NetworkBuilder, f"source '{self.name}'")
        resolve_device(self.device)
        return TrainedAccuracy(context.space, self, context.seed)
