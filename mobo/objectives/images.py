"""A user's image dataset: one sub-folder of images per class (the ``train`` source's ``image_folder``)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

if TYPE_CHECKING:  # PIL is imported when images are read
    from PIL.Image import Image as PILImage

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class ImageFolder:
    """``dataset: {image_folder: PATH}``: the images of ``PATH/<class>/*``, or of ``PATH/train/<class>/*``
    and ``PATH/val/<class>/*`` when the split is given.

    Attributes:
        image_folder: the dataset's folder.
    """

    image_folder: str


@dataclass(frozen=True)
class Split:
    """A fixed train/test split: images ``n x C x H x W`` (float32, standardized with the
    training split's mean and std) and labels ``n``."""

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    num_classes: int

    @staticmethod
    def standardized(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                     num_classes: int) -> Split:
        mean, std = float(x_train.mean()), float(x_train.std()) or 1.0
        return Split(torch.from_numpy((x_train - mean) / std).float(), torch.from_numpy(y_train).long(),
                     torch.from_numpy((x_test - mean) / std).float(), torch.from_numpy(y_test).long(), num_classes)


def _class_files(folder: Path) -> dict[str, list[Path]]:
    """Class name -> its image files (sorted), for every sub-folder of ``folder``."""
    if not folder.is_dir():
        raise ValueError(f"image folder {str(folder)!r} does not exist")
    classes = {d.name: sorted(f for f in d.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES)
               for d in sorted(folder.iterdir()) if d.is_dir()}
    classes = {name: files for name, files in classes.items() if files}
    if not classes:
        raise ValueError(f"image folder {str(folder)!r} holds no class sub-folders with images "
                         f"({', '.join(IMAGE_SUFFIXES)})")
    if len(classes) < 2:
        raise ValueError(f"image folder {str(folder)!r} holds one class ({next(iter(classes))!r}); "
                         f"classification needs at least 2")
    return classes


def _opened(path: Path) -> PILImage:
    """The image at ``path``, loaded; ``ValueError`` naming the file when it cannot be read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            return image
    except (UnidentifiedImageError, OSError) as err:
        raise ValueError(f"image {str(path)!r} cannot be read ({type(err).__name__})") from None


def _read(files: list[Path], image_size: int, channels: int) -> np.ndarray:
    """``n x channels x image_size x image_size`` float32 pixels in [0, 1]."""
    from PIL import Image

    mode = "L" if channels == 1 else "RGB"
    out = np.empty((len(files), channels, image_size, image_size), dtype=np.float32)
    for i, path in enumerate(files):
        pixels = _opened(path).convert(mode).resize((image_size, image_size), Image.Resampling.BILINEAR)
        array = np.asarray(pixels, dtype=np.float32) / 255.0
        out[i] = array[None] if channels == 1 else array.transpose(2, 0, 1)
    return out


def _channels(first: Path) -> int:
    """1 for a greyscale first image, else 3 (every image is read with the first's channels)."""
    return 1 if _opened(first).mode in ("1", "L", "I", "I;16", "F") else 3


def load_image_folder(folder: str | Path, image_size: int, test_fraction: float, seed: int = 0) -> Split:
    """Reads an image-folder dataset into memory, resized to ``image_size`` square.

    Args:
        folder: ``PATH`` with one sub-folder per class, or ``PATH/train`` and ``PATH/val``
            with the same class sub-folders (then ``test_fraction`` is not used).
        image_size: height and width (px) every image is resized to.
        test_fraction: the held-out share of each class.
        seed: fixes the split (the ``train`` source keeps 0: the same split in every run, as
            for digits).

    Returns:
        The split; channels 1 when the first image is greyscale, else 3.

    Raises:
        ValueError: naming the folder when it is missing, holds no images or one class;
            naming the file of an image that cannot be read.
    """
    root = Path(folder)
    if (root / "train").is_dir() and (root / "val").is_dir():
        train, val = _class_files(root / "train"), _class_files(root / "val")
        if set(train) != set(val):
            raise ValueError(f"image folder {str(root)!r}: train/ and val/ name different classes "
                             f"({', '.join(sorted(set(train) ^ set(val)))})")
    else:
        classes = _class_files(root)
        rng = random.Random(seed)
        train, val = {}, {}
        for name, files in classes.items():
            files = list(files)
            rng.shuffle(files)
            k = min(max(1, round(test_fraction * len(files))), len(files) - 1) if len(files) > 1 else 0
            val[name], train[name] = files[:k], files[k:]
    names = sorted(train)
    channels = _channels(train[names[0]][0])

    def stack(split: dict[str, list[Path]]) -> tuple[np.ndarray, np.ndarray]:
        files = [f for name in names for f in split[name]]
        labels = np.array([i for i, name in enumerate(names) for _ in split[name]], dtype=np.int64)
        return _read(files, image_size, channels), labels

    x_train, y_train = stack(train)
    x_test, y_test = stack(val)
    if len(y_test) == 0:
        raise ValueError(f"image folder {str(root)!r} has too few images to hold any out")
    return Split.standardized(x_train, y_train, x_test, y_test, len(names))


def augment(x: Tensor, generator: torch.Generator) -> Tensor:
    """Random crops (zero padding of an eighth of the side: 4 px at 32 px, as for CIFAR) and
    horizontal flips of a batch ``n x C x H x W``."""
    n, _, h, w = x.shape
    pad = max(1, round(h / 8))
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator).tolist()
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator).tolist()
    crops = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
    flip = torch.rand(n, generator=generator) < 0.5
    crops[flip] = crops[flip].flip(-1)
    return crops
