"""The train source on a user's image folder (digits written as PNG files)."""

import numpy as np
import pytest
from PIL import Image

from mobo import config as C
from mobo.objectives import build_evaluators
from mobo.objectives.images import ImageFolder, load_image_folder
from mobo.objectives.training import TrainedAccuracy, TrainSource
from spaces import get_space

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


def write_digits(folder, per_class=30, classes=10, rgb=False):
    """scikit-learn's digits as 8x8 PNG files, one sub-folder per class."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    for label in range(classes):
        (folder / f"class_{label}").mkdir(parents=True, exist_ok=True)
        images = digits.images[digits.target == label][:per_class]
        for i, pixels in enumerate(images):
            image = Image.fromarray((pixels * 255 / 16).astype(np.uint8))
            (image.convert("RGB") if rgb else image).save(folder / f"class_{label}" / f"{i}.png")
    return folder


def test_image_folder_trains_and_returns_an_accuracy(tmp_path):
    folder = write_digits(tmp_path / "digits")
    split = load_image_folder(folder, 8, 0.25)
    assert split.x_train.shape[1:] == (1, 8, 8) and split.num_classes == 10
    assert len(split.y_train) + len(split.y_test) == 300 and len(split.y_test) == 80  # 8 of 30 per class
    assert abs(float(split.x_train.mean())) < 1e-4  # standardized
    space = get_space("nb201", channels=8, cells_per_stage=1)
    options = TrainSource(dataset=ImageFolder(str(folder)), image_size=8, epochs=6, batch_size=32, augment=True,
                          device="auto")
    accuracy = TrainedAccuracy(space, options, seed=0)(space.parse(ARCH))
    assert 30.0 < accuracy <= 100.0  # chance is 10 %


def test_given_train_and_val_folders_and_rgb_images(tmp_path):
    write_digits(tmp_path / "data" / "train", per_class=6, classes=3, rgb=True)
    write_digits(tmp_path / "data" / "val", per_class=2, classes=3, rgb=True)
    split = load_image_folder(tmp_path / "data", 16, 0.5)
    assert split.x_train.shape == (18, 3, 16, 16) and split.x_test.shape == (6, 3, 16, 16)


def test_config_takes_an_image_folder_relative_to_the_file(tmp_path):
    write_digits(tmp_path / "imgs", per_class=4, classes=2)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("objectives:\n"
                   "  accuracy: {source: train, direction: maximize, dataset: {image_folder: imgs}, epochs: 1}\n"
                   "  params: {source: params, direction: minimize}\n")
    config = C.load(cfg)
    assert config.objectives[0].source.dataset == ImageFolder(str((tmp_path / "imgs").resolve()))
    assert C.from_dict(C.to_dict(config)).objectives[0].source == config.objectives[0].source  # a run's saved config
    with pytest.raises(C.ConfigError, match="objectives.accuracy.*unknown dataset 'mnist'"):
        C.from_dict({"objectives": {"accuracy": {"source": "train", "direction": "maximize", "dataset": "mnist"},
                                    "params": {"source": "params", "direction": "minimize"}}})


@pytest.mark.parametrize("make, message", [
    (lambda root: None, "image folder .*missing' does not exist"),
    (lambda root: (root / "missing" / "a").mkdir(parents=True), "image folder .*missing' holds no class sub-folders"),
    (lambda root: write_digits(root / "missing", per_class=3, classes=1),
     "image folder .*missing' holds one class \\('class_0'\\)"),
    (lambda root: (write_digits(root / "missing", per_class=3, classes=2),
                   (root / "missing" / "class_1" / "broken.png").write_bytes(b"not a png")),
     "image .*broken.png' cannot be read"),
])
def test_bad_image_folders_are_named(tmp_path, make, message):
    make(tmp_path)
    config = C.from_dict({"objectives": {
        "accuracy": {"source": "train", "direction": "maximize", "dataset": {"image_folder": str(tmp_path / "missing")}},
        "params": {"source": "params", "direction": "minimize"}}})
    with pytest.raises(ValueError, match=f"objectives.accuracy.dataset: {message}"):
        build_evaluators(config, get_space("nb201", channels=8, cells_per_stage=1))


def test_cuda_without_a_gpu_is_refused(tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    config = C.from_dict({"objectives": {
        "accuracy": {"source": "train", "direction": "maximize", "device": "cuda"},
        "params": {"source": "params", "direction": "minimize"}}})
    with pytest.raises(ValueError, match="objectives.accuracy.device: cuda was asked for, but torch sees no GPU"):
        build_evaluators(config, get_space("nb201", channels=8, cells_per_stage=1, input_channels=1, image_size=8))
