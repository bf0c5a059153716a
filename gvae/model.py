"""The graph variational autoencoder: a bidirectional GIN encoder and an MLP decoder."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn
from torch_geometric.data import Batch
from torch_geometric.nn import GINConv, global_add_pool, global_mean_pool


@dataclass(frozen=True)
class GVAEConfig:
    """Hyperparameters of the graph VAE.

    Attributes:
        num_types: node vocabulary size ``T`` of the space.
        max_nodes: largest graph size ``N`` of the space.
        latent_dim: dimension ``d`` of the latent vector ``z``.
        hidden_dim: width of the GIN layers and decoder MLP.
        num_layers: number of (bidirectional) GIN layers.
    """

    num_types: int
    max_nodes: int
    latent_dim: int = 16
    hidden_dim: int = 64
    num_layers: int = 3

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _mlp(d_in: int, d_hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_out))


class BiGINLayer(nn.Module):
    """A GIN layer that passes messages along and against the DAG's edges.

    Node ``i`` sees its predecessors (what flows into it) and, separately, its
    successors (how it is used), which is what identifies a node in a DAG.
    """

    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.forward_conv = GINConv(_mlp(d_in, d_out, d_out), train_eps=True)
        self.backward_conv = GINConv(_mlp(d_in, d_out, d_out), train_eps=True)
        self.merge = nn.Sequential(nn.Linear(2 * d_out, d_out), nn.LayerNorm(d_out), nn.ReLU())

    def forward(self, h: Tensor, edge_index: Tensor) -> Tensor:
        h_fwd = self.forward_conv(h, edge_index)
        h_bwd = self.backward_conv(h, edge_index.flip(0))
        return self.merge(torch.cat([h_fwd, h_bwd], dim=-1))


class GraphVAE(nn.Module):
    """Graph VAE over op-on-node DAGs of at most ``N`` nodes with ``T`` node types."""

    def __init__(self, config: GVAEConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        d_in = c.num_types + c.max_nodes
        self.layers = nn.ModuleList(
            BiGINLayer(d_in if i == 0 else c.hidden_dim, c.hidden_dim) for i in range(c.num_layers)
        )
        readout = 2 * c.hidden_dim * c.num_layers  # sum and mean pooling of every layer
        self.to_mu = nn.Linear(readout, c.latent_dim)
        self.to_logvar = nn.Linear(readout, c.latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(c.latent_dim, 2 * c.hidden_dim),
            nn.ReLU(),
            nn.Linear(2 * c.hidden_dim, 2 * c.hidden_dim),
            nn.ReLU(),
        )
        self.node_head = nn.Linear(2 * c.hidden_dim, c.max_nodes * (c.num_types + 1))
        self.edge_head = nn.Linear(2 * c.hidden_dim, c.max_nodes * c.max_nodes)

    def encode(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """Returns the posterior mean and log-variance, each ``b x d``."""
        h = batch.x
        pooled = []
        for layer in self.layers:
            h = layer(h, batch.edge_index)
            pooled += [global_add_pool(h, batch.batch), global_mean_pool(h, batch.batch)]
        readout = torch.cat(pooled, dim=-1)
        return self.to_mu(readout), self.to_logvar(readout).clamp(-12.0, 6.0)

    def decode(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Decodes latent points.

        Args:
            z: ``b x d`` latent points.

        Returns:
            ``(node_logits, edge_logits)``: ``b x N x (T + 1)`` (last column = no
            node) and ``b x N x N`` (edge ``i -> j`` logits, strict upper triangle).
        """
        c = self.config
        h = self.decoder(z)
        node_logits = self.node_head(h).view(-1, c.max_nodes, c.num_types + 1)
        edge_logits = self.edge_head(h).view(-1, c.max_nodes, c.max_nodes)
        return node_logits, edge_logits

    def forward(self, batch: Batch) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Encodes, samples ``z`` by reparameterization, decodes.

        Returns:
            ``(node_logits, edge_logits, mu, logvar)``.
        """
        mu, logvar = self.encode(batch)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        node_logits, edge_logits = self.decode(z)
        return node_logits, edge_logits, mu, logvar


def upper_mask(n: int) -> Tensor:
    """``n x n`` boolean mask of the strict upper triangle."""
    return torch.ones(n, n, dtype=torch.bool).triu(diagonal=1)


def vae_loss(
    model: GraphVAE, batch: Batch, beta: float
) -> tuple[Tensor, dict[str, float]]:
    """Reconstruction + ``beta`` * KL loss of one batch (means over graphs).

    Returns:
        The scalar loss and its parts (``node``, ``edge``, ``kl``) as floats.
    """
    node_logits, edge_logits, mu, logvar = model(batch)
    c = model.config
    node_target = batch.node_target  # b x N
    node_loss = nn.functional.cross_entropy(
        node_logits.reshape(-1, c.num_types + 1), node_target.reshape(-1), reduction="sum"
    ) / node_target.shape[0]
    mask = upper_mask(c.max_nodes)
    edge_loss = nn.functional.binary_cross_entropy_with_logits(
        edge_logits[:, mask], batch.edge_target[:, mask], reduction="sum"
    ) / node_target.shape[0]
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / node_target.shape[0]
    loss = node_loss + edge_loss + beta * kl
    return loss, {"node": node_loss.item(), "edge": edge_loss.item(), "kl": kl.item()}
