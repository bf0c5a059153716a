"""The latent-space API the search uses: load a checkpoint, encode, decode."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from gvae.data import collate
from gvae.model import GraphVAE, GVAEConfig, upper_mask
from spaces import Arch, ArchGraph, SearchSpace, get_space
from spaces.base import GraphCodec, require
from spaces.io import atomic_save_torch


class LatentModel:
    """A trained graph VAE bound to its search space.

    Args:
        space: the search space the VAE was trained on.
        vae: the trained graph VAE (put in eval mode).
        info: training hyperparameters and results stored with the checkpoint.
    """

    def __init__(self, space: SearchSpace, vae: GraphVAE, info: dict[str, Any] | None = None) -> None:
        require(space, GraphCodec, "a graph VAE")
        self.space = space
        self.vae = vae.eval()
        self.info = dict(info or {})

    @property
    def latent_dim(self) -> int:
        return self.vae.config.latent_dim

    @torch.no_grad()
    def encode(self, archs: Sequence[Arch], batch_size: int = 2048) -> Tensor:
        """Posterior means of ``archs``.

        Returns:
            ``n x d`` tensor (float64 for the GP).
        """
        c = self.vae.config
        out = []
        for start in range(0, len(archs), batch_size):
            graphs = [self.space.to_graph(a) for a in archs[start : start + batch_size]]
            mu, _ = self.vae.encode(collate(graphs, c.num_types, c.max_nodes))
            out.append(mu)
        if not out:
            return torch.zeros(0, c.latent_dim, dtype=torch.float64)
        return torch.cat(out).double()

    @torch.no_grad()
    def logits(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Decoder logits for ``z`` (``n x d``): ``n x N x (T+1)`` and ``n x N x N``."""
        return self.vae.decode(z.float())

    def decode(self, z: Tensor) -> list[Arch]:
        """Decodes ``z`` (``n x d``) into ``n`` valid architectures (the space's projection)."""
        node_logits, edge_logits = self.logits(z)
        return [self.space.project(node_logits[i], edge_logits[i]) for i in range(len(z))]

    def decode_raw(self, z: Tensor) -> list[ArchGraph | None]:
        """Decodes ``z`` (``n x d``) by argmax alone, with no repair.

        Returns:
            For each point the raw graph (node types by argmax, edges with
            positive logit), or ``None`` where a "no node" slot is followed by a
            node (not a graph at all).
        """
        node_logits, edge_logits = self.logits(z)
        types = node_logits.argmax(dim=-1)
        absent = self.vae.config.num_types
        mask = upper_mask(self.vae.config.max_nodes)
        graphs: list[ArchGraph | None] = []
        for i in range(len(z)):
            row = types[i].tolist()
            n = row.index(absent) if absent in row else len(row)
            if any(t != absent for t in row[n:]):
                graphs.append(None)
                continue
            adj = (edge_logits[i] > 0) & mask
            graphs.append(ArchGraph.from_adjacency(row[:n], adj[:n, :n]))
        return graphs

    def save(self, path: str | Path) -> None:
        """Writes weights, hyperparameters, space name and ``info`` atomically."""
        atomic_save_torch(
            {
                "space": self.space.name,
                "gvae_config": self.vae.config.to_dict(),
                "state_dict": self.vae.state_dict(),
                "info": self.info,
            },
            Path(path),
        )

    @staticmethod
    def load(path: str | Path, space: SearchSpace | None = None) -> "LatentModel":
        """Loads a checkpoint written by :meth:`save`.

        Args:
            path: the ``model.pt`` file.
            space: the space to bind (its name must match the checkpoint's);
                by default the checkpoint's space with default network options.
        """
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"graph-VAE checkpoint {str(path)!r} does not exist")
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            config, state = GVAEConfig(**blob["gvae_config"]), blob["state_dict"]
        except Exception as err:  # noqa: BLE001 - any unreadable file gets one message
            raise ValueError(f"graph-VAE checkpoint {str(path)!r} cannot be read "
                             f"({type(err).__name__}: {str(err)[:120]})") from None
        if space is None:
            space = get_space(blob["space"])
        elif space.name != blob["space"]:
            raise ValueError(
                f"graph-VAE checkpoint {str(path)!r} was trained on space {blob['space']!r}, not {space.name!r}"
            )
        with torch.random.fork_rng():  # the initial weights are overwritten: draw them off the caller's stream
            vae = GraphVAE(config)
        try:
            vae.load_state_dict(state)
        except RuntimeError as err:
            raise ValueError(f"graph-VAE checkpoint {str(path)!r} does not fit its model: {str(err)[:120]}") from None
        return LatentModel(space, vae, blob.get("info", {}))
