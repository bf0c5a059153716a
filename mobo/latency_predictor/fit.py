"""Meta-training of the latency predictor on a table of many devices' latencies."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from mobo.latency_predictor.model import LatencyPredictor, PredictorSettings, feature_network
from mobo.objectives.table import BenchmarkTable
from spaces import Arch, SearchSpace
from spaces.base import Featurized, require


def fit(space: SearchSpace, archs: Sequence[Arch], latencies: np.ndarray, devices: Sequence[str],
        settings: PredictorSettings = PredictorSettings(), seed: int = 0, progress: bool = False) -> LatencyPredictor:
    """Meta-trains the feature network and one linear head per device.

    Each device's log-latencies are standardized, so that every device weighs the same in
    the loss whatever its speed; the heads are then mapped back to log-ms.

    Args:
        space: the space of ``archs`` (with one-hot choices, :class:`spaces.Featurized`).
        archs: the ``n`` architectures.
        latencies: ``n x D`` latencies (ms, > 0; ``NaN`` where a device lacks the row).
        devices: the ``D`` device names.
        settings: widths, steps, adaptation noise.
        seed: fixes the initial weights and the batches.
        progress: show a progress bar.

    Returns:
        The predictor (not adapted to any device).
    """
    require(space, Featurized, "the latency predictor")
    lat = np.asarray(latencies, dtype=np.float64)
    if lat.ndim != 2 or lat.shape != (len(archs), len(devices)) or not devices:
        raise ValueError(f"latencies must be {len(archs)} x {len(devices)} (architectures x devices), got {lat.shape}")
    logs = np.log(np.where(np.isnan(lat), 1.0, lat))
    known = ~np.isnan(lat)
    counts = known.sum(axis=0)
    for j, device in enumerate(devices):
        if counts[j] < 2:
            raise ValueError(f"device {device!r} has {counts[j]} latencies; meta-training needs at least 2")
    mu = np.array([logs[known[:, j], j].mean() for j in range(len(devices))])
    sd = np.array([max(logs[known[:, j], j].std(), 1e-6) for j in range(len(devices))])
    x = torch.tensor([space.one_hot(a) for a in archs], dtype=torch.float32)
    y = torch.tensor(np.where(known, (logs - mu) / sd, 0.0), dtype=torch.float32)
    mask = torch.tensor(known, dtype=torch.float32)
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():  # the initial weights, without touching the caller's generator
        torch.manual_seed(seed)
        body = feature_network(x.shape[1], settings)
        heads = torch.nn.Linear(settings.features, len(devices))
    params = [*body.parameters(), *heads.parameters()]
    optimizer = torch.optim.Adam(params, lr=settings.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, settings.steps)
    batch = min(settings.batch_size, len(archs))
    for _ in tqdm(range(settings.steps), desc="meta-training", disable=not progress, leave=False):
        idx = torch.randint(0, len(archs), (batch,), generator=generator)
        err = (heads(body(x[idx])) - y[idx]) * mask[idx]
        loss = err.square().sum() / mask[idx].sum().clamp_min(1.0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    w = torch.cat([heads.weight.detach().T, heads.bias.detach()[None]]).double()  # (K + 1) x D
    sd_t, mu_t = torch.tensor(sd), torch.tensor(mu)
    w = w * sd_t
    w[-1] += mu_t
    network = {k: v.detach().clone() for k, v in body.state_dict().items()}
    return LatencyPredictor(space.name, x.shape[1], list(devices), w, settings, network)


def table_latencies(table: BenchmarkTable, space: SearchSpace,
                    columns: Sequence[str] | None = None) -> tuple[list[Arch], np.ndarray, list[str]]:
    """The architectures and latency columns of a benchmark table.

    Args:
        table: the table (an ``arch`` column of the space's strings).
        space: the space its strings belong to.
        columns: the latency columns (default: every ``lat_*`` column).

    Returns:
        The ``n`` architectures, ``n x D`` latencies (ms; ``NaN`` where empty) and the ``D``
        column names.

    Raises:
        ValueError: naming the row of an architecture the space cannot parse, or the
            column and row of a latency that is not positive.
    """
    columns = list(columns) if columns else [c for c in table.columns if c.startswith("lat_")]
    if not columns:
        raise ValueError(f"table {str(table.path)!r} has no lat_* column; name the latency columns with --columns")
    archs = []
    for i, text in enumerate(table.archs):
        try:
            archs.append(space.parse(text))
        except ValueError as err:
            raise ValueError(f"table {str(table.path)!r}, row {i + 2}: {err}") from None
    values = np.stack([table.column(c) for c in columns], axis=1)
    bad = ~np.isnan(values) & ~((values > 0) & np.isfinite(values))
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(f"table {str(table.path)!r}: column {columns[col]!r}, row {row + 2}: latency "
                         f"{values[row, col]:g} is not a positive number")
    return archs, values, columns


def fit_table(path: str | Path, space: SearchSpace, columns: Sequence[str] | None = None,
              settings: PredictorSettings = PredictorSettings(), seed: int = 0,
              progress: bool = False) -> LatencyPredictor:
    """:func:`fit` on the latency columns of the benchmark table at ``path`` (see :func:`table_latencies`)."""
    archs, values, columns = table_latencies(BenchmarkTable(path), space, columns)
    return fit(space, archs, values, columns, settings, seed, progress)
