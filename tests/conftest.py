"""Shared fixtures: the benchmark table (required under CI) and a small trained graph VAE."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gvae.settings import ModelSettings, TrainSettings
from gvae.train import dataset, fit
from spaces import get_space

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"


def shared_file(name: str) -> Path:
    """A file of ``../shared/benchmarks``: fails under ``CI=true`` when absent, else skips."""
    path = SHARED / name
    if not path.is_file():
        message = f"benchmark data {path} is missing"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def nb201_csv() -> Path:
    return shared_file("nb201.csv")


@pytest.fixture(scope="session")
def nb201_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small NB201 graph VAE (a few seconds of training), saved as a checkpoint."""
    space = get_space("nb201")
    archs = dataset(space, space.size, 0)[::4]
    model = fit(space, archs, ModelSettings(latent_dim=8, hidden_dim=32, num_layers=2),
                TrainSettings(epochs=4, batch_size=64, lr=5e-3, seed=0), progress=False)
    path = tmp_path_factory.mktemp("gvae") / "model.pt"
    model.save(path)
    return path


def tiny_table_config(table: Path, checkpoint: Path, **search) -> dict:
    """A fast NB201-table search: accuracy vs Raspberry Pi 4 latency (<= 30 ms)."""
    return {
        "name": "tiny",
        "seed": 3,
        "table": {"path": str(table)},
        "gvae": {"checkpoint": str(checkpoint)},
        "objectives": {
            "accuracy": {"source": "table", "column": "acc_cifar10", "direction": "maximize"},
            "latency": {"source": "table", "column": "lat_raspi4_ms", "direction": "minimize", "at_most": 30.0},
        },
        "search": {"budget": 12, "initial": 6, "batch_size": 3, "mc_samples": 16, **search},
    }


@pytest.fixture(scope="session")
def finished_run(nb201_csv: Path, nb201_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small finished search run made by the command line (plots and report included)."""
    import yaml

    from mobo.search import main

    folder = tmp_path_factory.mktemp("finished")
    cfg = folder / "config.yaml"
    cfg.write_text(yaml.safe_dump(tiny_table_config(nb201_csv, nb201_checkpoint, budget=9)))
    run = folder / "run"
    assert main([str(cfg), "--out", str(run), "--no-progress"]) == 0
    return run
