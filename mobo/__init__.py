"""Multi-objective Bayesian optimization in a graph-VAE latent space.

``mobo.run(config, evaluators=...)`` runs a whole search; ``mobo.Search`` is the loop, with
``ask``/``tell``. Both are loaded on first use, so that reading a run (``mobo.plot``,
``mobo.export``) does not load BoTorch.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RunResult", "Search", "run"]


def __getattr__(name: str) -> Any:
    if name in ("RunResult", "run"):
        from mobo import api

        return getattr(api, name)
    if name == "Search":
        from mobo.loop import Search

        return Search
    raise AttributeError(f"module 'mobo' has no attribute {name!r}")
