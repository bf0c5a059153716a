"""Architecture graphs as torch-geometric data, with padded decoder targets."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch_geometric.data import Batch, Data

from spaces.base import ArchGraph


def graph_to_data(graph: ArchGraph, num_types: int, max_nodes: int) -> Data:
    """Converts one graph to a torch-geometric ``Data``.

    Args:
        graph: the op-on-node DAG.
        num_types: size of the space's node vocabulary ``T``.
        max_nodes: the space's largest graph size ``N``.

    Returns:
        ``Data`` with ``x`` (``n x (T + N)``: one-hot type and one-hot position),
        ``edge_index`` (``2 x e``, forward direction), and decoder targets
        ``node_target`` (``1 x N``; index ``T`` marks padding) and
        ``edge_target`` (``1 x N x N``, strict upper triangle).
    """
    n = graph.num_nodes
    if n > max_nodes:
        raise ValueError(f"graph has {n} nodes, more than the space's max_nodes={max_nodes}")
    ops = torch.tensor(graph.ops, dtype=torch.long)
    x = torch.cat(
        [
            torch.nn.functional.one_hot(ops, num_types).float(),
            torch.nn.functional.one_hot(torch.arange(n), max_nodes).float(),
        ],
        dim=1,
    )
    edge_index = (
        torch.tensor(graph.edges, dtype=torch.long).t().contiguous()
        if graph.edges
        else torch.zeros(2, 0, dtype=torch.long)
    )
    node_target = torch.full((1, max_nodes), num_types, dtype=torch.long)
    node_target[0, :n] = ops
    edge_target = torch.zeros(1, max_nodes, max_nodes)
    edge_target[0, :n, :n] = graph.adjacency()
    return Data(x=x, edge_index=edge_index, node_target=node_target, edge_target=edge_target, num_nodes=n)


def collate(graphs: Sequence[ArchGraph], num_types: int, max_nodes: int) -> Batch:
    """Batches graphs for the encoder (see :func:`graph_to_data`)."""
    return Batch.from_data_list([graph_to_data(g, num_types, max_nodes) for g in graphs])
