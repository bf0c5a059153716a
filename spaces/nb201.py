"""The NAS-Bench-201 cell space.

A cell has 4 nodes (0 = cell input, 3 = cell output); every node ``i`` sums one
op applied to each earlier node ``j < i``: 6 edges, 5 ops each, 15,625 cells.
The official string lists the edges into node 1, 2, 3, e.g.
``|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|``.

Graph form (op on node, as in arch2vec): node 0 is the input, nodes 1-6 are
the six edges in string order (their type is the edge's op), node 7 is the
output. An edge-op node ``j -> i`` reads the edge-op nodes that end in cell
node ``j`` (or the input when ``j = 0``); the output reads the edges into
cell node 3. The connectivity is therefore the same for every cell, and
decoding is valid by construction: :meth:`NB201Space.project` takes the
most likely op of each edge node.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

from torch import Tensor, nn

from spaces.base import ArchGraph, GraphDefaults, NetworkDefaults, SearchSpace, check_positive_ints, one_hot_choices
from spaces.layers import ReLUConvBN, ResidualReduction, Zero

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
# (target node, source node) of each edge, in the order of the official string.
EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
NODE_TYPES: tuple[str, ...] = ("input", "output", *OPS)
INPUT, OUTPUT = 0, 1

# Op sequences a path from the cell input to its output can carry, and how many such paths a cell has.
_PATHS: dict[tuple[str, ...], int] = {
    seq: i for i, seq in enumerate(seq for n in range(4) for seq in itertools.product(OPS[2:], repeat=n))
}
_MAX_PATHS = 4

NB201Arch = tuple[str, ...]
"""An NB201 cell: the op of each of the 6 edges, in :data:`EDGES` order."""


def _graph_edges() -> tuple[tuple[int, int], ...]:
    out_node = len(EDGES) + 1
    edges = []
    for k, (_, src) in enumerate(EDGES):
        if src == 0:
            edges.append((0, k + 1))
        else:
            edges += [(m + 1, k + 1) for m, (dst, _) in enumerate(EDGES) if dst == src]
    edges += [(m + 1, out_node) for m, (dst, _) in enumerate(EDGES) if dst == 3]
    return tuple(sorted(edges))


GRAPH_EDGES = _graph_edges()


@dataclass(frozen=True)
class NB201Network:
    """Options of the NB201 macro network.

    Attributes:
        channels: channels ``C`` of the first stage (then ``2C``, ``4C``).
        cells_per_stage: cells ``N`` per stage.
        input_channels: channels of the input image.
        image_size: height and width of the input image (px).
        num_classes: outputs of the classifier.
    """

    channels: int = 16
    cells_per_stage: int = 5
    input_channels: int = 3
    image_size: int = 32
    num_classes: int = 10

    def __post_init__(self) -> None:
        check_positive_ints(self, "NB201")


class NB201Space(SearchSpace, GraphDefaults, NetworkDefaults):
    """NAS-Bench-201: 15,625 cells, each stacked into the NB201 macro network."""

    name = "nb201"
    dead_choices = True
    node_types = NODE_TYPES
    max_nodes = len(EDGES) + 2

    def __init__(self, **network: int) -> None:
        self.network = NB201Network(**network)

    # --- string form -------------------------------------------------------
    def parse(self, text: str) -> NB201Arch:
        if not isinstance(text, str):
            raise ValueError(f"NB201 arch must be a string, got {type(text).__name__}")
        groups = text.strip().split("+")
        if len(groups) != 3:
            raise ValueError(
                f"NB201 arch string must have 3 '+'-separated node groups, got {len(groups)}: {text!r}"
            )
        ops: list[str] = []
        for node, group in enumerate(groups, start=1):
            if not (group.startswith("|") and group.endswith("|") and len(group) > 1):
                raise ValueError(f"NB201 arch string: node {node} group {group!r} must be '|op~j|...|'")
            tokens = group[1:-1].split("|")
            if len(tokens) != node:
                raise ValueError(
                    f"NB201 arch string: node {node} needs {node} input edge(s), got {len(tokens)} in {group!r}"
                )
            for src, token in enumerate(tokens):
                op, sep, index = token.partition("~")
                if not sep:
                    raise ValueError(f"NB201 arch string: token {token!r} of node {node} is not 'op~j'")
                if op not in OPS:
                    raise ValueError(
                        f"NB201 arch string: unknown op {op!r} in token {token!r} of node {node}; "
                        f"known ops: {', '.join(OPS)}"
                    )
                if index != str(src):
                    raise ValueError(
                        f"NB201 arch string: token {token!r} of node {node} must read from node {src}, "
                        f"got {index!r}"
                    )
                ops.append(op)
        return tuple(ops)

    def format(self, arch: NB201Arch) -> str:
        self._check(arch)
        groups = []
        for node in (1, 2, 3):
            groups.append(
                "|" + "|".join(f"{arch[k]}~{src}" for k, (dst, src) in enumerate(EDGES) if dst == node) + "|"
            )
        return "+".join(groups)

    @staticmethod
    def _check(arch: NB201Arch) -> None:
        if len(arch) != len(EDGES):
            raise ValueError(f"NB201 arch needs {len(EDGES)} edge ops, got {len(arch)}")
        for k, op in enumerate(arch):
            if op not in OPS:
                raise ValueError(f"NB201 arch: unknown op {op!r} on edge {k}; known ops: {', '.join(OPS)}")

    # --- graph form --------------------------------------------------------
    def to_graph(self, arch: NB201Arch) -> ArchGraph:
        self._check(arch)
        ops = (INPUT, *(NODE_TYPES.index(op) for op in arch), OUTPUT)
        return ArchGraph(ops, GRAPH_EDGES)

    def from_graph(self, graph: ArchGraph) -> NB201Arch:
        if graph.num_nodes != self.max_nodes:
            raise ValueError(f"NB201 graph needs {self.max_nodes} nodes, got {graph.num_nodes}")
        if graph.ops[0] != INPUT or graph.ops[-1] != OUTPUT:
            raise ValueError("NB201 graph must start with an input node and end with an output node")
        if tuple(sorted(graph.edges)) != GRAPH_EDGES:
            raise ValueError("NB201 graph connectivity differs from the NB201 cell's")
        arch = []
        for position, op in enumerate(graph.ops[1:-1], start=1):
            if not 0 <= op < len(NODE_TYPES) or NODE_TYPES[op] not in OPS:
                raise ValueError(f"NB201 graph node {position} has type {op}, which is not an op")
            arch.append(NODE_TYPES[op])
        return tuple(arch)

    def project(self, node_logits: Tensor, edge_logits: Tensor) -> NB201Arch:
        op_logits = node_logits[1 : len(EDGES) + 1, 2 : 2 + len(OPS)]
        return tuple(OPS[int(i)] for i in op_logits.argmax(dim=-1))

    # --- identity, sampling -------------------------------------------------
    def canonical_key(self, arch: NB201Arch) -> str:
        """The cell's output as an expression of its input.

        Each node's value is the sorted sum of ``op(source value)`` terms, with
        ``skip_connect`` as identity and ``none`` (or an all-zero source) dropped,
        so cells that differ only by isomorphism, by edges cut off by ``none``,
        or by dead nodes share one key. A cell whose output is always zero gets
        the key ``"0"``.
        """
        self._check(arch)
        values: list[str | None] = ["x"]  # None = the node is identically zero
        for node in (1, 2, 3):
            terms = []
            for k, (dst, src) in enumerate(EDGES):
                if dst != node or arch[k] == "none" or values[src] is None:
                    continue
                terms.append(values[src] if arch[k] == "skip_connect" else f"{arch[k]}({values[src]})")
            values.append("+".join(sorted(terms)) if terms else None)
        return values[3] if values[3] is not None else "0"

    def sample(self, rng: random.Random) -> NB201Arch:
        return tuple(rng.choice(OPS) for _ in EDGES)

    def one_hot(self, arch: NB201Arch) -> list[float]:
        return one_hot_choices([(op, OPS) for op in arch])

    def live_one_hot(self, arch: NB201Arch) -> list[float]:
        """``one_hot`` with ``none`` on every dead edge: one whose source is identically zero
        or whose output never reaches the cell's output."""
        self._check(arch)
        nonzero = [True, False, False, False]
        for node in (1, 2, 3):
            nonzero[node] = any(d == node and op != "none" and nonzero[s] for op, (d, s) in zip(arch, EDGES))
        reaches = [False, False, False, True]
        for node in (2, 1, 0):
            reaches[node] = any(s == node and op != "none" and reaches[d] for op, (d, s) in zip(arch, EDGES))
        return self.one_hot(tuple(op if nonzero[s] and reaches[d] else "none" for op, (d, s) in zip(arch, EDGES)))

    def path_encoding(self, arch: NB201Arch) -> list[float]:
        """Counts of each op sequence along the cell's input-to-output paths (``skip_connect``
        adds nothing to a sequence, ``none`` cuts the path), divided by the 4 paths a cell
        has; 40 entries (sequences of 0-3 of the 3 parametric or pooling ops)."""
        sequences: dict[int, list[tuple[str, ...]]] = {0: [()]}
        for node in (1, 2, 3):
            sequences[node] = [
                seq if arch[k] == "skip_connect" else (*seq, arch[k])
                for k, (dst, src) in enumerate(EDGES) if dst == node and arch[k] != "none"
                for seq in sequences[src]
            ]
        counts = [0.0] * len(_PATHS)
        for seq in sequences[3]:
            counts[_PATHS[seq]] += 1.0 / _MAX_PATHS
        return counts

    def is_constant(self, arch: NB201Arch) -> bool:
        return not any(self.path_encoding(arch))

    def neighbours(self, arch: NB201Arch) -> list[NB201Arch]:
        return [arch[:k] + (op,) + arch[k + 1:] for k in range(len(EDGES)) for op in OPS if op != arch[k]]

    @property
    def size(self) -> int:
        return len(OPS) ** len(EDGES)

    def enumerate(self) -> Iterator[NB201Arch]:
        yield from itertools.product(OPS, repeat=len(EDGES))

    # --- networks -----------------------------------------------------------
    def input_shape(self, **overrides: int) -> tuple[int, int, int]:
        net = replace(self.network, **overrides)
        return (net.input_channels, net.image_size, net.image_size)

    def build(self, arch: NB201Arch, **overrides: int) -> nn.Module:
        self._check(arch)
        return NB201Net(arch, replace(self.network, **overrides))


def _make_op(op: str, channels: int) -> nn.Module:
    if op == "none":
        return Zero()
    if op == "skip_connect":
        return nn.Identity()
    if op == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1)
    if op == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3)
    return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)


class NB201Cell(nn.Module):
    """One NB201 cell at a fixed channel count (stride 1)."""

    def __init__(self, arch: NB201Arch, channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(_make_op(op, channels) for op in arch)

    def forward(self, x: Tensor) -> Tensor:
        nodes = [x]
        for node in (1, 2, 3):
            nodes.append(sum(self.edges[k](nodes[src]) for k, (dst, src) in enumerate(EDGES) if dst == node))
        return nodes[3]


class NB201Net(nn.Module):
    """The NB201 macro network: stem, 3 stages of N cells (C, 2C, 4C) joined by
    residual reduction blocks, BN-ReLU, global average pooling, linear classifier.

    Input ``batch x input_channels x H x W``; output ``batch x num_classes`` logits.
    """

    def __init__(self, arch: NB201Arch, net: NB201Network) -> None:
        super().__init__()
        c = net.channels
        self.stem = nn.Sequential(
            nn.Conv2d(net.input_channels, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        )
        layers: list[nn.Module] = []
        for stage, width in enumerate((c, 2 * c, 4 * c)):
            if stage > 0:
                layers.append(ResidualReduction(width // 2, width))
            layers += [NB201Cell(arch, width) for _ in range(net.cells_per_stage)]
        self.cells = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.BatchNorm2d(4 * c), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(4 * c, net.num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.head(self.cells(self.stem(x)))
        return self.classifier(self.pool(x).flatten(1))
