"""The ENAS micro-cell space (normal and reduction cells), in a NASNet-style network.

A cell has two inputs (``0`` = the output of the cell before the previous one,
``1`` = the previous cell's output) and ``B`` blocks (default 5). Block ``b``
reads two inputs among the cell inputs and the earlier blocks (``0 .. b + 1``),
applies one op to each and adds the results. The block outputs that no later
block reads ("loose ends") are concatenated into the cell output. An
architecture is a (normal cell, reduction cell) pair.

String form: the blocks of a cell as ``|op~i|op~j|`` joined by ``+``; the two
cells as ``normal:CELL;reduce:CELL``, e.g.
``normal:|sep_conv_3x3~0|identity~1|+|...;reduce:|max_pool_3x3~0|...``.

Graph form (op on node): per cell, nodes ``in0, in1``, then per block its two op
nodes and its ``add`` node, then the cell's ``output`` node; the reduction
cell's nodes follow the normal cell's, and an edge joins the normal cell's
output to the reduction cell's ``in1`` (so the graph is one DAG). The node
positions are fixed (``2 * (3B + 3)`` nodes); the edges vary: each op node
reads one earlier node, each add reads its two ops, the output reads the loose
ends. This is the space that exercises the graph VAE's edge decoding.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn

from spaces.base import (
    ArchGraph,
    FeatureDefaults,
    GraphDefaults,
    NetworkDefaults,
    SearchSpace,
    TimedLayer,
    check_positive_ints,
    one_hot_choices,
)
from spaces.layers import FactorizedReduce, ReLUConvBN, SepConv

OPS: tuple[str, ...] = ("sep_conv_3x3", "sep_conv_5x5", "avg_pool_3x3", "max_pool_3x3", "identity")
NODE_TYPES: tuple[str, ...] = ("input", "output", "add", *OPS)
INPUT, OUTPUT, ADD = 0, 1, 2
CELLS: tuple[str, ...] = ("normal", "reduce")

# Op sequences of the path encoding: up to _PATH_LENGTH ops other than identity.
_PATH_LENGTH = 2
_PATHS: dict[tuple[str, ...], int] = {
    seq: i for i, seq in enumerate(
        seq for n in range(_PATH_LENGTH + 1) for seq in itertools.product(OPS[:-1], repeat=n))
}

Block = tuple[int, str, int, str]
"""``(input_a, op_a, input_b, op_b)``: inputs index the cell inputs (0, 1) and earlier blocks (2, ...)."""
Cell = tuple[Block, ...]
EnasArch = tuple[Cell, Cell]
"""``(normal cell, reduction cell)``."""


@dataclass(frozen=True)
class EnasNetwork:
    """Options of the NASNet-style macro network (ELP-NAS: 36 -> 72 -> 144 channels
    at 32 -> 16 -> 8 px for 32 x 32 inputs).

    Attributes:
        blocks: blocks ``B`` per cell (this is part of the space).
        channels: cell channels ``C`` of the first stage (``2C``, ``4C`` after
            each reduction cell).
        cells_per_stage: normal cells ``N`` per stage (3 stages, 2 reduction cells).
        stem_multiplier: the stem 3x3 conv outputs ``stem_multiplier * C`` channels.
        input_channels: channels of the input image.
        image_size: input height and width (px); must be divisible by 4.
        num_classes: outputs of the classifier.
    """

    blocks: int = 5
    channels: int = 36
    cells_per_stage: int = 2
    stem_multiplier: int = 3
    input_channels: int = 3
    image_size: int = 32
    num_classes: int = 10

    def __post_init__(self) -> None:
        check_positive_ints(self, "ENAS")
        if self.image_size % 4:
            raise ValueError(f"ENAS network option 'image_size' must be divisible by 4, got {self.image_size}")
        if self.channels % 2:
            raise ValueError(f"ENAS network option 'channels' must be even, got {self.channels}")


def loose_ends(cell: Cell) -> list[int]:
    """Indices (``2 + b``) of the blocks no later block reads, in order."""
    used = {i for block in cell for i in (block[0], block[2])}
    return [2 + b for b in range(len(cell)) if 2 + b not in used]


def loose_counts(arch: EnasArch) -> dict[str, int]:
    """Number of loose ends of the normal and of the reduction cell."""
    return {kind: len(loose_ends(cell)) for kind, cell in zip(CELLS, arch)}


def op_stride(kind: str, index: int) -> int:
    """A reduction cell's ops on the cell inputs (0, 1) halve the resolution."""
    return 2 if kind == "reduce" and index < 2 else 1


# --- the layers of a network, shared by the builder and the lookup table ---------


@dataclass(frozen=True)
class CellPlan:
    """Where a cell sits in the network: its kind, widths and input size."""

    kind: str  # "normal" or "reduce"
    channels: int
    size: int  # height = width of the cell's inputs (px)
    c_prev_prev: int
    c_prev: int
    reduce_prev_prev: bool  # input 0 is at twice the resolution of input 1

    def preprocess(self) -> list[tuple[str, int, int, bool]]:
        """``(lut key, input channels, input size, factorized)`` of the layers
        that bring inputs 0 and 1 to ``channels``."""
        size_pp = self.size * 2 if self.reduce_prev_prev else self.size
        return [
            (preprocess_key(self.c_prev_prev, self.channels, size_pp, self.reduce_prev_prev),
             self.c_prev_prev, size_pp, self.reduce_prev_prev),
            (preprocess_key(self.c_prev, self.channels, self.size, False), self.c_prev, self.size, False),
        ]


def plan_cells(net: EnasNetwork, loose: dict[str, int]) -> tuple[list[CellPlan], int, int]:
    """Lays out the cells of a network whose normal/reduction cells have ``loose`` loose ends.

    Returns:
        The cell plans, the classifier's input channels and its input size (px).
    """
    c = net.channels
    size = net.image_size
    c_pp = c_p = net.stem_multiplier * c
    reduce_prev = False
    plans = []
    n = net.cells_per_stage
    for i in range(3 * n + 2):
        kind = "reduce" if i in (n, 2 * n + 1) else "normal"
        if kind == "reduce":
            c *= 2
        plans.append(CellPlan(kind, c, size, c_pp, c_p, reduce_prev))
        reduce_prev = kind == "reduce"
        if reduce_prev:
            size //= 2
        c_pp, c_p = c_p, loose[kind] * c
    return plans, c_p, size


def op_key(op: str, channels: int, size: int, stride: int) -> str:
    return f"op/{op}:c{channels}:h{size}:s{stride}"


def preprocess_key(c_in: int, c_out: int, size: int, factorized: bool) -> str:
    kind = "factorized_reduce" if factorized else "relu_conv_bn_1x1"
    return f"fixed/{kind}:{c_in}>{c_out}:h{size}"


def make_op(op: str, channels: int, stride: int) -> nn.Module:
    """One cell op at ``channels`` channels (``stride`` 2 on a reduction cell's inputs)."""
    if op == "sep_conv_3x3":
        return SepConv(channels, 3, stride)
    if op == "sep_conv_5x5":
        return SepConv(channels, 5, stride)
    if op == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if op == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if op == "identity":
        return nn.Identity() if stride == 1 else FactorizedReduce(channels, channels)
    raise ValueError(f"unknown ENAS op {op!r}; known ops: {', '.join(OPS)}")


def make_preprocess(c_in: int, c_out: int, factorized: bool) -> nn.Module:
    return FactorizedReduce(c_in, c_out) if factorized else ReLUConvBN(c_in, c_out, 1)


def _field_options(block: int, field: int) -> Sequence[int | str]:
    """The choices of one field of a block ``(input, op, input, op)``: an input among the
    two cell inputs and the ``block`` earlier blocks, or an op."""
    return OPS if field % 2 else range(2 + block)


class EnasSpace(SearchSpace, GraphDefaults, FeatureDefaults, NetworkDefaults):
    """ENAS micro cells: a normal and a reduction cell of ``B`` blocks each."""

    name = "enas"
    node_types = NODE_TYPES

    def __init__(self, **network: int) -> None:
        self.network = EnasNetwork(**network)
        self.blocks = self.network.blocks
        self.cell_nodes = 3 * self.blocks + 3
        self.max_nodes = 2 * self.cell_nodes

    # --- string form -------------------------------------------------------
    def parse(self, text: str) -> EnasArch:
        if not isinstance(text, str):
            raise ValueError(f"ENAS arch must be a string, got {type(text).__name__}")
        parts = text.strip().split(";")
        if len(parts) != 2:
            raise ValueError(f"ENAS arch string must be 'normal:CELL;reduce:CELL', got {len(parts)} ';'-part(s)")
        cells = []
        for kind, part in zip(CELLS, parts):
            prefix = f"{kind}:"
            if not part.startswith(prefix):
                raise ValueError(f"ENAS arch string: part {part[:20]!r}... must start with {prefix!r}")
            cells.append(self._parse_cell(kind, part[len(prefix):]))
        return (cells[0], cells[1])

    def _parse_cell(self, kind: str, text: str) -> Cell:
        groups = text.split("+")
        if len(groups) != self.blocks:
            raise ValueError(f"ENAS {kind} cell needs {self.blocks} '+'-separated blocks, got {len(groups)}")
        blocks = []
        for b, group in enumerate(groups):
            if not (group.startswith("|") and group.endswith("|")):
                raise ValueError(f"ENAS {kind} cell: block {b} {group!r} must be '|op~i|op~j|'")
            tokens = group[1:-1].split("|")
            if len(tokens) != 2:
                raise ValueError(f"ENAS {kind} cell: block {b} {group!r} needs 2 'op~i' tokens, got {len(tokens)}")
            block: list[int | str] = []
            for token in tokens:
                op, sep, index = token.partition("~")
                if op not in OPS:
                    raise ValueError(
                        f"ENAS {kind} cell: unknown op {op!r} in token {token!r} of block {b}; "
                        f"known ops: {', '.join(OPS)}"
                    )
                if not sep or not index.isdigit() or not 0 <= int(index) < 2 + b:
                    raise ValueError(
                        f"ENAS {kind} cell: token {token!r} of block {b} must read an input 0..{b + 1}"
                    )
                block += [int(index), op]
            blocks.append((int(block[0]), str(block[1]), int(block[2]), str(block[3])))
        return tuple(blocks)

    def format(self, arch: EnasArch) -> str:
        self._check(arch)
        return ";".join(
            f"{kind}:" + "+".join(f"|{a_op}~{a}|{b_op}~{b}|" for a, a_op, b, b_op in cell)
            for kind, cell in zip(CELLS, arch)
        )

    def _check(self, arch: EnasArch) -> None:
        if len(arch) != 2:
            raise ValueError(f"ENAS arch needs 2 cells (normal, reduce), got {len(arch)}")
        for kind, cell in zip(CELLS, arch):
            if len(cell) != self.blocks:
                raise ValueError(f"ENAS {kind} cell needs {self.blocks} blocks, got {len(cell)}")
            for b, block in enumerate(cell):
                if len(block) != 4:
                    raise ValueError(f"ENAS {kind} cell: block {b} must be (input, op, input, op), got {block!r}")
                for index, op in ((block[0], block[1]), (block[2], block[3])):
                    if op not in OPS:
                        raise ValueError(f"ENAS {kind} cell: unknown op {op!r} in block {b}")
                    if not isinstance(index, int) or not 0 <= index < 2 + b:
                        raise ValueError(f"ENAS {kind} cell: block {b} reads input {index!r}, not in 0..{b + 1}")

    # --- graph form --------------------------------------------------------
    def _source_node(self, offset: int, index: int) -> int:
        return offset + index if index < 2 else offset + 4 + 3 * (index - 2)

    def to_graph(self, arch: EnasArch) -> ArchGraph:
        self._check(arch)
        ops: list[int] = []
        edges: list[tuple[int, int]] = []
        for c, cell in enumerate(arch):
            offset = c * self.cell_nodes
            ops += [INPUT, INPUT]
            for b, (a, a_op, b_in, b_op) in enumerate(cell):
                node_a = offset + 2 + 3 * b
                ops += [NODE_TYPES.index(a_op), NODE_TYPES.index(b_op), ADD]
                edges += [
                    (self._source_node(offset, a), node_a),
                    (self._source_node(offset, b_in), node_a + 1),
                    (node_a, node_a + 2),
                    (node_a + 1, node_a + 2),
                ]
            out = offset + self.cell_nodes - 1
            ops.append(OUTPUT)
            edges += [(self._source_node(offset, i), out) for i in loose_ends(cell)]
        edges.append((self.cell_nodes - 1, self.cell_nodes + 1))  # normal output -> reduction cell's in1
        return ArchGraph(tuple(ops), tuple(sorted(edges)))

    def from_graph(self, graph: ArchGraph) -> EnasArch:
        if graph.num_nodes != self.max_nodes:
            raise ValueError(f"ENAS graph needs {self.max_nodes} nodes, got {graph.num_nodes}")
        incoming: dict[int, list[int]] = {}
        for src, dst in graph.edges:
            incoming.setdefault(dst, []).append(src)
        cells = []
        for c, kind in enumerate(CELLS):
            offset = c * self.cell_nodes
            expected = [(0, INPUT), (1, INPUT), (self.cell_nodes - 1, OUTPUT)]
            expected += [(2 + 3 * b + 2, ADD) for b in range(self.blocks)]
            for position, node_type in expected:
                if graph.ops[offset + position] != node_type:
                    raise ValueError(
                        f"ENAS graph: node {offset + position} of the {kind} cell must be "
                        f"'{NODE_TYPES[node_type]}'"
                    )
            blocks = []
            for b in range(self.blocks):
                node_a = offset + 2 + 3 * b
                block: list[int | str] = []
                for node in (node_a, node_a + 1):
                    if graph.ops[node] < 3 or graph.ops[node] >= len(NODE_TYPES):
                        raise ValueError(f"ENAS graph: node {node} ({kind} cell, block {b}) must be an op")
                    sources = incoming.get(node, [])
                    allowed = {self._source_node(offset, i): i for i in range(2 + b)}
                    if len(sources) != 1 or sources[0] not in allowed:
                        raise ValueError(f"ENAS graph: op node {node} must read exactly one earlier input or block")
                    block += [allowed[sources[0]], NODE_TYPES[graph.ops[node]]]
                blocks.append((int(block[0]), str(block[1]), int(block[2]), str(block[3])))
            cells.append(tuple(blocks))
        arch = (cells[0], cells[1])
        if self.to_graph(arch) != graph:
            raise ValueError("ENAS graph: add, output or cell-joining edges differ from the cells' structure")
        return arch

    def project(self, node_logits: Tensor, edge_logits: Tensor) -> EnasArch:
        op_columns = slice(3, len(NODE_TYPES))
        cells = []
        for c in range(2):
            offset = c * self.cell_nodes
            blocks = []
            for b in range(self.blocks):
                node_a = offset + 2 + 3 * b
                choice: list[int | str] = []
                for node in (node_a, node_a + 1):
                    op = OPS[int(node_logits[node, op_columns].argmax())]
                    sources = [self._source_node(offset, i) for i in range(2 + b)]
                    index = int(edge_logits[sources, node].argmax())
                    choice += [index, op]
                blocks.append((int(choice[0]), str(choice[1]), int(choice[2]), str(choice[3])))
            cells.append(tuple(blocks))
        return (cells[0], cells[1])

    # --- identity, sampling -------------------------------------------------
    def canonical_key(self, arch: EnasArch) -> str:
        """Each cell's output as an expression of its inputs ``x0``, ``x1``.

        A block is the sorted sum of its two terms, identity at stride 1 is
        dropped (in a reduction cell, identity on a cell input is a factorized
        reduction, written ``fr(.)``), and the loose ends are a sorted list; so
        swapping a block's two inputs, reordering independent blocks, or
        renumbering them leaves the key unchanged.
        """
        self._check(arch)
        keys = []
        for kind, cell in zip(CELLS, arch):
            values = ["x0", "x1"]
            for a, a_op, b, b_op in cell:
                terms = sorted(self._term(kind, op, index, values[index]) for index, op in ((a, a_op), (b, b_op)))
                values.append("(" + "+".join(terms) + ")")
            keys.append(f"{kind}:cat[" + ",".join(sorted(values[i] for i in loose_ends(cell))) + "]")
        return ";".join(keys)

    @staticmethod
    def _term(kind: str, op: str, index: int, value: str) -> str:
        strided = op_stride(kind, index) == 2
        if op == "identity":
            return f"fr({value})" if strided else value
        return f"{op}{'/2' if strided else ''}({value})"

    def sample(self, rng: random.Random) -> EnasArch:
        cells = []
        for _ in CELLS:
            cells.append(
                tuple(
                    (rng.randrange(2 + b), rng.choice(OPS), rng.randrange(2 + b), rng.choice(OPS))
                    for b in range(self.blocks)
                )
            )
        return (cells[0], cells[1])

    def one_hot(self, arch: EnasArch) -> list[float]:
        return one_hot_choices([
            (value, _field_options(b, field))
            for cell in arch for b, block in enumerate(cell) for field, value in enumerate(block)
        ])

    def path_encoding(self, arch: EnasArch) -> list[float]:
        """Per cell and cell input, counts of the op sequences along the paths from that input
        to the cell output (``identity`` adds nothing; a sequence keeps its first two ops),
        divided by the cell's number of such paths; ``2 x 2 x 21`` entries."""
        out: list[float] = []
        for cell in arch:
            paths: dict[int, list[tuple[int, tuple[str, ...]]]] = {0: [(0, ())], 1: [(1, ())]}
            for b, (a, a_op, c, c_op) in enumerate(cell):
                paths[2 + b] = [
                    (start, seq if op == "identity" or len(seq) == _PATH_LENGTH else (*seq, op))
                    for index, op in ((a, a_op), (c, c_op)) for start, seq in paths[index]
                ]
            ends = [path for block in loose_ends(cell) for path in paths[block]]
            counts = [0.0] * (2 * len(_PATHS))
            for start, seq in ends:
                counts[start * len(_PATHS) + _PATHS[seq]] += 1.0 / len(ends)
            out.extend(counts)
        return out

    def neighbours(self, arch: EnasArch) -> list[EnasArch]:
        out: list[EnasArch] = []
        for c, cell in enumerate(arch):
            for b, block in enumerate(cell):
                for field, value in enumerate(block):
                    for other in _field_options(b, field):
                        if other != value:
                            new_block = block[:field] + (other,) + block[field + 1:]
                            new_cell = cell[:b] + (new_block,) + cell[b + 1:]
                            out.append((new_cell, arch[1]) if c == 0 else (arch[0], new_cell))
        return out

    @property
    def size(self) -> int:
        per_cell = math.prod((2 + b) ** 2 * len(OPS) ** 2 for b in range(self.blocks))
        return per_cell**2

    def enumerate(self) -> Iterator[EnasArch]:
        raise ValueError(f"the ENAS space holds {self.size:.3e} architectures; sample it instead")

    # --- networks -----------------------------------------------------------
    def input_shape(self, **overrides: int) -> tuple[int, int, int]:
        net = replace(self.network, **overrides)
        return (net.input_channels, net.image_size, net.image_size)

    def build(self, arch: EnasArch, **overrides: int) -> nn.Module:
        self._check(arch)
        net = replace(self.network, **overrides)
        if net.blocks != self.blocks:
            raise ValueError("ENAS network option 'blocks' is part of the space; it cannot be overridden")
        return EnasNet(arch, net)

    # --- lookup-table cost model -----------------------------------------------
    def lut_keys(self, arch: EnasArch) -> list[str]:
        """Stem, each cell's two preprocessing layers and ``2B`` ops, classifier."""
        self._check(arch)
        net = self.network
        plans, c_last, size_last = plan_cells(net, loose_counts(arch))
        keys = [self._stem_key()]
        for plan in plans:
            cell = arch[CELLS.index(plan.kind)]
            keys += [key for key, *_ in plan.preprocess()]
            for block in cell:
                for index, op in ((block[0], block[1]), (block[2], block[3])):
                    keys.append(op_key(op, plan.channels, plan.size, op_stride(plan.kind, index)))
        keys.append(self._classifier_key(c_last, size_last))
        return keys

    def lut_counts(self, arch: EnasArch) -> dict[str, float]:
        """``concat_inputs``: tensors concatenated over all cells of the network
        (loose ends); ``ops:<op>``: instances of each op in the network (a
        per-op sum misses what an op costs between layers, e.g. cache misses,
        and that differs by op)."""
        loose = loose_counts(arch)
        plans, _, _ = plan_cells(self.network, loose)
        counts = {f"ops:{op}": 0.0 for op in OPS}
        for plan in plans:
            for block in arch[CELLS.index(plan.kind)]:
                counts[f"ops:{block[1]}"] += 1
                counts[f"ops:{block[3]}"] += 1
        counts["concat_inputs"] = float(sum(loose[p.kind] for p in plans))
        return counts

    def _stem_key(self) -> str:
        net = self.network
        return f"fixed/stem:{net.input_channels}>{net.stem_multiplier * net.channels}:h{net.image_size}"

    def _classifier_key(self, c_in: int, size: int) -> str:
        return f"fixed/classifier:{c_in}>{self.network.num_classes}:h{size}"

    def lut_layers(self) -> dict[str, TimedLayer]:
        """Every entry a network of this space can use: all ops at every cell
        position, and the preprocessing and classifier layers for every number
        of loose ends (1..B) of the normal and reduction cells."""
        net = self.network
        layers: dict[str, TimedLayer] = {
            self._stem_key(): TimedLayer(lambda: Stem(net), self.input_shape())
        }
        for loose_normal in range(1, self.blocks + 1):
            for loose_reduce in range(1, self.blocks + 1):
                plans, c_last, size_last = plan_cells(net, {"normal": loose_normal, "reduce": loose_reduce})
                for plan in plans:
                    for key, c_in, size, factorized in plan.preprocess():
                        layers.setdefault(
                            key,
                            TimedLayer(
                                lambda c_in=c_in, c=plan.channels, f=factorized: make_preprocess(c_in, c, f),
                                (c_in, size, size),
                            ),
                        )
                    for op in OPS:
                        for stride in (1, 2) if plan.kind == "reduce" else (1,):
                            layers.setdefault(
                                op_key(op, plan.channels, plan.size, stride),
                                TimedLayer(
                                    lambda op=op, c=plan.channels, s=stride: make_op(op, c, s),
                                    (plan.channels, plan.size, plan.size),
                                ),
                            )
                layers.setdefault(
                    self._classifier_key(c_last, size_last),
                    TimedLayer(lambda c=c_last: Classifier(c, net.num_classes), (c_last, size_last, size_last)),
                )
        return layers


class Stem(nn.Sequential):
    """3x3 conv and BN: ``input_channels -> stem_multiplier * C``."""

    def __init__(self, net: EnasNetwork) -> None:
        c = net.stem_multiplier * net.channels
        super().__init__(nn.Conv2d(net.input_channels, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))


class Classifier(nn.Module):
    """Global average pooling and a linear layer."""

    def __init__(self, c_in: int, num_classes: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(c_in, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(self.pool(x).flatten(1))


class EnasCell(nn.Module):
    """One cell: preprocess both inputs to ``C`` channels, run the blocks, concatenate the loose ends."""

    def __init__(self, cell: Cell, plan: CellPlan) -> None:
        super().__init__()
        self.cell = cell
        (_, c0, _, factorized0), (_, c1, _, _) = plan.preprocess()
        self.pre0 = make_preprocess(c0, plan.channels, factorized0)
        self.pre1 = make_preprocess(c1, plan.channels, False)
        self.ops = nn.ModuleList()
        for a, a_op, b, b_op in cell:
            for index, op in ((a, a_op), (b, b_op)):
                self.ops.append(make_op(op, plan.channels, op_stride(plan.kind, index)))
        self.outputs = loose_ends(cell)

    def forward(self, s0: Tensor, s1: Tensor) -> Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for b, (a, _, b_in, _) in enumerate(self.cell):
            states.append(self.ops[2 * b](states[a]) + self.ops[2 * b + 1](states[b_in]))
        return torch.cat([states[i] for i in self.outputs], dim=1)


class EnasNet(nn.Module):
    """NASNet-style network: stem, ``N`` normal cells per stage with a reduction
    cell between stages, global pooling, linear classifier.

    Input ``batch x input_channels x H x W``; output ``batch x num_classes`` logits.
    """

    def __init__(self, arch: EnasArch, net: EnasNetwork) -> None:
        super().__init__()
        plans, c_last, _ = plan_cells(net, loose_counts(arch))
        self.stem = Stem(net)
        self.cells = nn.ModuleList(EnasCell(arch[CELLS.index(p.kind)], p) for p in plans)
        self.classifier = Classifier(c_last, net.num_classes)

    def forward(self, x: Tensor) -> Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(s1)
