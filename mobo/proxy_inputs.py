"""A training-free proxy of accuracy as a GP input: scored on a small copy of each network, cached.

The search ranks about a thousand candidates a BO step, so the proxy is scored on
the space's :attr:`~spaces.SearchSpace.proxy_network` (NB201: one cell per stage,
8 px, about 23 ms a cell on one CPU core) and kept per architecture string in
memory and in a cache file under the output root, which runs of one space share.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
from pathlib import Path

import torch
from torch import Tensor

from mobo.objectives.proxy import arch_synflow
from mobo.utils.io import atomic_write_json
from spaces import Arch, SearchSpace

log = logging.getLogger("latentnas")

# The initial weights the score is taken at: one fixed seed, so that a cached
# score serves every run whatever its own seed.
_INIT_SEED = 0


def proxy_cache_path(space: SearchSpace, kind: str, output_root: Path) -> Path:
    """The cache file of ``kind`` scores on ``space``'s proxy network (keyed by the space's
    network options, the proxy network's and the torch version, whose initializers set the weights)."""
    network = getattr(space, "network", None)
    options = dataclasses.asdict(network) if dataclasses.is_dataclass(network) else {}
    key = {"space": space.name, "network": options, "proxy_network": space.proxy_network or {}, "kind": kind,
           "init_seed": _INIT_SEED, "torch": torch.__version__.split("+")[0]}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return Path(output_root) / ".cache" / "proxy" / f"{space.name}-{kind}-{digest[:12]}.json"


def log1p10(log_score: float) -> float:
    """``log10(1 + s)`` from ``log10(s)``: 0 for a network without signal flow (``s = 0``,
    ``log10(s)`` NaN), so that every architecture gets a finite, order-keeping input."""
    if math.isnan(log_score):
        return 0.0
    return log_score if log_score > 15 else math.log10(1 + 10**log_score)


class ProxyInputs:
    """``archs -> n x 1`` proxy scores (``log10(1 + SynFlow)``, higher = more trainable), cached.

    Args:
        space: the search space; its ``proxy_network`` options (if any) shrink the scored network.
        cache: the cache file (:func:`proxy_cache_path`); ``None`` keeps scores in memory only.
    """

    def __init__(self, space: SearchSpace, cache: Path | None = None) -> None:
        self.space = space
        self.cache = cache
        self.scores: dict[str, float] = self._read()
        self._new = 0

    def _read(self) -> dict[str, float]:
        if self.cache is None or not self.cache.is_file():
            return {}
        try:
            data = json.loads(self.cache.read_text())
            return {str(k): float(v) for k, v in data.items()}
        except (OSError, ValueError, TypeError, AttributeError) as err:  # JSONDecodeError is a ValueError
            log.warning("proxy cache %s unreadable (%s): scores are recomputed", self.cache, err)
            return {}

    def score(self, arch: Arch) -> float:
        """The proxy score of one architecture (computed once per string)."""
        text = self.space.format(arch)
        if text not in self.scores:
            self.scores[text] = log1p10(arch_synflow(self.space, arch, _INIT_SEED, **(self.space.proxy_network or {})))
            self._new += 1
        return self.scores[text]

    def __call__(self, archs: list[Arch]) -> Tensor:
        """Scores of ``archs``.

        Returns:
            ``n x 1`` scores ``log10(1 + SynFlow)`` (float64).
        """
        return torch.tensor([[self.score(a)] for a in archs], dtype=torch.float64)

    def save(self) -> None:
        """Merges the scores computed since the last save into the cache file (atomically;
        another run's entries written meanwhile are kept)."""
        if self.cache is None or not self._new:
            return
        merged = {**self._read(), **self.scores}
        atomic_write_json(self.cache, merged)
        self._new = 0
