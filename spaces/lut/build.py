"""Building a lookup table by timing each entry's layer on this host, and
measuring whole networks to calibrate and check it."""

from __future__ import annotations

import platform
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
from tqdm import tqdm

from spaces.base import Arch, CostTableKeys, SearchSpace, TimedLayer, require
from spaces.lut.calibration import fit_calibration
from spaces.lut.table import LookupTable
from spaces.profile import median_ms, torch_threads


@dataclass(frozen=True)
class TimingSettings:
    """How layers and networks are timed (batch 1, inference mode).

    Attributes:
        repeats: timed runs; the median is kept.
        warmup: untimed runs first.
        stack: a layer entry is timed as ``stack`` copies run one after the
            other on the same input, divided by ``stack`` (amortizes the timer).
        threads: torch intra-op threads.
        rounds: whole networks are timed in this many round-robin rounds over
            all networks (``repeats / rounds`` runs each per round), so a slow
            spell of the host spreads over every network instead of biasing a few.
    """

    repeats: int = 15
    warmup: int = 3
    stack: int = 10
    threads: int = 1
    rounds: int = 5

    def __post_init__(self) -> None:
        for key, value in asdict(self).items():
            if value < (0 if key == "warmup" else 1):
                raise ValueError(f"{key} must be at least {0 if key == 'warmup' else 1}, got {value}")


def time_layer(layer: TimedLayer, settings: TimingSettings) -> float:
    """Median time of one layer at batch 1 (ms)."""
    copies = [layer.make().eval() for _ in range(settings.stack)]
    x = torch.randn(1, *layer.input_shape)

    def run() -> None:
        for module in copies:
            module(x)

    with torch_threads(settings.threads), torch.inference_mode():
        return median_ms(run, settings.warmup, settings.repeats) / settings.stack


def host_info(settings: TimingSettings) -> dict[str, object]:
    """Where and how a table or a measurement was made."""
    return {
        "host": platform.node(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "settings": asdict(settings),
    }


def build_table(space: SearchSpace, settings: TimingSettings, progress: bool = True) -> LookupTable:
    """Times every entry of ``space.lut_layers()`` on this host.

    Returns:
        A latency table (ms) whose ``meta`` records the host, versions,
        settings and the space's network options.
    """
    require(space, CostTableKeys, "a lookup table")
    layers = space.lut_layers()
    if not layers:
        raise ValueError(f"space '{space.name}' has no lookup-table entries that can be timed on this host")
    entries = {}
    for key, layer in tqdm(sorted(layers.items()), desc="lut", disable=not progress, file=sys.stderr):
        entries[key] = round(time_layer(layer, settings), 6)
    network = asdict(space.network) if hasattr(space, "network") else {}
    meta = {"space": space.name, "network": network, **host_info(settings)}
    return LookupTable(entries, "ms", meta)


def measure_networks(
    space: SearchSpace, archs: Sequence[Arch], settings: TimingSettings, progress: bool = True
) -> list[float]:
    """Whole-network latency of each architecture (ms, batch 1, median of all runs).

    The networks are timed in ``settings.rounds`` round-robin rounds (see
    :class:`TimingSettings`); test-retest on 60 ENAS networks here: Spearman
    0.89 timing each network once in a row, 0.99 in 5 rounds.
    """
    models = [space.build(arch).eval() for arch in archs]
    x = torch.randn(1, *space.input_shape())
    per_round = max(1, -(-settings.repeats // settings.rounds))
    times: list[list[float]] = [[] for _ in models]
    with torch_threads(settings.threads), torch.inference_mode():
        for model in models:
            for _ in range(settings.warmup):
                model(x)
        for _ in tqdm(range(settings.rounds), desc="rounds", disable=not progress, file=sys.stderr):
            for i, model in enumerate(models):
                for _ in range(per_round):
                    start = time.perf_counter()
                    model(x)
                    times[i].append((time.perf_counter() - start) * 1e3)
    return [statistics.median(t) for t in times]


def distinct_sample(space: SearchSpace, n: int, rng: random.Random, exclude: set[str] = frozenset()) -> list[Arch]:
    """``n`` uniformly drawn architectures with distinct canonical keys, none in ``exclude``."""
    archs: list[Arch] = []
    seen = set(exclude)
    while len(archs) < n:
        arch = space.sample(rng)
        key = space.canonical_key(arch)
        if key not in seen:
            seen.add(key)
            archs.append(arch)
    return archs


def calibrate(
    table: LookupTable, space: SearchSpace, archs: Sequence[Arch], measured: Sequence[float]
) -> LookupTable:
    """Fits the table's calibration on measured networks (sets ``table.calibration``)."""
    sums = [table.total(space.lut_keys(a)) for a in archs]
    table.calibration = fit_calibration(sums, [space.lut_counts(a) for a in archs], measured)
    return table
