"""A training-free proxy of accuracy as a GP input: scored on a small copy of each network, cached.

The search ranks about a thousand candidates a BO step, so the proxy is scored on
the space's :attr:`~spaces.SearchSpace.proxy_network` (NB201: one cell per stage,
8 px; on one CPU core about 23 ms a cell for SynFlow, 40 ms for NASWOT) and kept
per architecture string in memory and in a cache file under the output root, which
runs of one space share.
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

from mobo.objectives.proxy import NASWOT_BATCH, arch_proxy
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
    if kind == "naswot":
        key["data"] = f"digits-{NASWOT_BATCH}"
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return Path(output_root) / ".cache" / "proxy" / f"{space.name}-{kind}-{digest[:12]}.json"


def log1p10(log_score: float) -> float:
    """``log10(1 + s)`` from ``log10(s)``: 0 for a network without signal flow (``s = 0``,
    ``log10(s)`` NaN), so that every architecture gets a finite, order-keeping input."""
    if math.isnan(log_score):
        return 0.0
    return log_score if log_score > 15 else math.log10(1 + 10**log_score)


def proxy_input(kind: str, score: float) -> float:
    """The GP input of a ``kind`` score from :func:`~mobo.objectives.proxy.arch_proxy`: for
    ``synflow`` :func:`log1p10`; for ``naswot`` the score, and 0 for a singular kernel (NaN, a
    network that tells no two images apart), below every nonsingular one's."""
    if kind == "synflow":
        return log1p10(score)
    return 0.0 if math.isnan(score) else score


class ProxyInputs:
    """``archs -> n x 1`` proxy scores (higher = more trainable, :func:`proxy_input`), cached.

    Args:
        space: the search space; its ``proxy_network`` options (if any) shrink the scored network.
        cache: the cache file (:func:`proxy_cache_path`); ``None`` keeps scores in memory only.
        kind: ``synflow`` or ``naswot`` (:func:`~mobo.objectives.proxy.arch_proxy`).
    """

    def __init__(self, space: SearchSpace, cache: Path | None = None, kind: str = "synflow") -> None:
        self.space = space
        self.cache = cache
        self.kind = kind
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
            score = arch_proxy(self.kind, self.space, arch, _INIT_SEED, **(self.space.proxy_network or {}))
            self.scores[text] = proxy_input(self.kind, score)
            self._new += 1
        return self.scores[text]

    def __call__(self, archs: list[Arch]) -> Tensor:
        """Scores of ``archs``.

        Returns:
            ``n x 1`` GP inputs of the scores (:func:`proxy_input`, float64).
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
