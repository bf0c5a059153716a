"""The YOLOv7 ELAN-depth search space (TANGO AutoNN style).

An architecture is the depth of each of the 8 ELAN blocks (4 backbone, then 4
neck) of a base model (``yolov7`` or ``yolov7-tiny``, a network option of the
space). String form: ``yolov7:3,3,3,3,5,5,5,5``.

Graph form: the network's layer DAG in topological order, one node per layer
(typed by module kind: ``conv1x1``, ``conv3x3``, ``conv3x3_s2``, ``concat``,
``maxpool``, ``maxpool_s1``, ``upsample``, ``sppcspc``, ``detect``) after an
``input`` node; the graph's size varies with the depths.
"""

from __future__ import annotations

import functools
import itertools
import random
import re
from collections.abc import Iterator
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
from spaces.yolo.layers import (
    BACKBONE_BLOCKS,
    BASES,
    HEAD_BLOCKS,
    MAX_BACKBONE_DEPTH,
    MAX_HEAD_DEPTH,
    Layer,
    elan_chain,
    yolo_layers,
)
from spaces.yolo.network import YoloNet

NODE_TYPES: tuple[str, ...] = (
    "input", "conv1x1", "conv3x3", "conv3x3_s2", "concat", "maxpool", "maxpool_s1", "upsample", "sppcspc", "detect",
)
YoloArch = tuple[int, ...]
"""ELAN depths ``(d1, ..., d8)``: backbone blocks 1-4, then neck blocks 1-4."""


@dataclass(frozen=True)
class YoloNetwork:
    """Options of the YOLO space and its networks.

    Attributes:
        base: ``yolov7`` or ``yolov7-tiny``.
        image_size: input height and width (px, divisible by 32).
        input_channels: channels of the input image.
        num_classes: detection classes ``nc`` (outputs ``3 * (nc + 5)`` per scale).
        backbone_max_depth: backbone ELAN depths range over ``1..backbone_max_depth`` (at most 5).
        head_max_depth: neck ELAN depths range over ``1..head_max_depth`` (at most 7).
    """

    base: str = "yolov7"
    image_size: int = 640
    input_channels: int = 3
    num_classes: int = 80
    backbone_max_depth: int = 3
    head_max_depth: int = 5

    def __post_init__(self) -> None:
        if self.base not in BASES:
            raise ValueError(f"YOLO network option 'base' must be one of {', '.join(BASES)}, got {self.base!r}")
        check_positive_ints(
            self, "YOLO", ("image_size", "input_channels", "num_classes", "backbone_max_depth", "head_max_depth")
        )
        if self.image_size % 32:
            raise ValueError(f"YOLO network option 'image_size' must be divisible by 32, got {self.image_size}")
        if self.backbone_max_depth > MAX_BACKBONE_DEPTH or self.head_max_depth > MAX_HEAD_DEPTH:
            raise ValueError(
                f"YOLO depths go up to {MAX_BACKBONE_DEPTH} (backbone) and {MAX_HEAD_DEPTH} (neck), the ranges "
                f"of the latency table; got {self.backbone_max_depth} and {self.head_max_depth}"
            )


def node_type(layer: Layer) -> str:
    if layer.module == "Conv":
        kernel, stride = layer.args[1], layer.args[2]
        return f"conv{kernel}x{kernel}" + ("_s2" if stride == 2 else "")
    return {
        "Concat": "concat", "MP": "maxpool", "SP": "maxpool_s1", "Upsample": "upsample",
        "SPPCSPC": "sppcspc", "Detect": "detect",
    }[layer.module]


def layers_to_graph(layers: list[Layer]) -> ArchGraph:
    """The layer DAG: node 0 is the input, node ``i + 1`` is layer ``i``."""
    ops = [NODE_TYPES.index("input")]
    edges = set()
    for i, layer in enumerate(layers):
        name = node_type(layer)
        if name not in NODE_TYPES:
            raise ValueError(f"layer {i}: {layer.module} {list(layer.args)} is not a layer kind of the YOLO space")
        ops.append(NODE_TYPES.index(name))
        edges.update((s + 1, i + 1) for s in layer.sources)
    return ArchGraph(tuple(ops), tuple(sorted(edges)))


# one-letter codes of node types, to find ELAN blocks in a type sequence with a regex
_CODES = "i13scmpuSd"
_ELAN = re.compile("11(3*)c1")


class YoloSpace(SearchSpace, GraphDefaults, FeatureDefaults, NetworkDefaults):
    """YOLOv7 / YOLOv7-tiny detectors whose 8 ELAN blocks vary in depth."""

    name = "yolo"
    node_types = NODE_TYPES

    def __init__(self, **network: int | str) -> None:
        self.network = YoloNetwork(**network)  # type: ignore[arg-type]
        self.base = self.network.base
        self.choices: tuple[tuple[int, ...], ...] = tuple(
            tuple(range(1, (self.network.backbone_max_depth if k < BACKBONE_BLOCKS else self.network.head_max_depth) + 1))
            for k in range(BACKBONE_BLOCKS + HEAD_BLOCKS)
        )
        deepest = tuple(c[-1] for c in self.choices)
        self.max_nodes = len(self.layers(deepest)) + 1

    def layers(self, arch: YoloArch, num_classes: int | None = None) -> list[Layer]:
        """The layer list of ``arch`` (see :mod:`spaces.yolo.layers`)."""
        self._check(arch)
        return yolo_layers(self.base, tuple(arch), num_classes or self.network.num_classes).layers

    # --- string form -------------------------------------------------------
    def parse(self, text: str) -> YoloArch:
        if not isinstance(text, str):
            raise ValueError(f"YOLO arch must be a string, got {type(text).__name__}")
        base, sep, digits = text.strip().partition(":")
        if not sep:
            raise ValueError(f"YOLO arch string must be 'BASE:d1,...,d8', got {text!r}")
        if base != self.base:
            raise ValueError(f"YOLO arch string {text!r} is for base {base!r}, but this space's base is {self.base!r}")
        tokens = digits.split(",")
        if len(tokens) != len(self.choices):
            raise ValueError(f"YOLO arch string needs {len(self.choices)} depths, got {len(tokens)} in {text!r}")
        if not all(t.strip().isdigit() for t in tokens):
            bad = next(t for t in tokens if not t.strip().isdigit())
            raise ValueError(f"YOLO arch string: depth {bad!r} is not a positive integer")
        arch = tuple(int(t) for t in tokens)
        self._check(arch)
        return arch

    def format(self, arch: YoloArch) -> str:
        self._check(arch)
        return f"{self.base}:" + ",".join(str(d) for d in arch)

    def _check(self, arch: YoloArch) -> None:
        if len(arch) != len(self.choices):
            raise ValueError(f"YOLO arch needs {len(self.choices)} ELAN depths, got {len(arch)}")
        for k, (depth, choices) in enumerate(zip(arch, self.choices)):
            if depth not in choices:
                part = "backbone" if k < BACKBONE_BLOCKS else "neck"
                raise ValueError(
                    f"YOLO arch: depth {depth!r} of ELAN block {k + 1} ({part}) is not in {choices[0]}..{choices[-1]}"
                )

    # --- graph form --------------------------------------------------------
    def to_graph(self, arch: YoloArch) -> ArchGraph:
        self._check(arch)
        return self._graph(tuple(arch))

    @functools.lru_cache(maxsize=2**16)  # noqa: B019 - the space lives as long as its graphs are wanted
    def _graph(self, arch: YoloArch) -> ArchGraph:
        # encoding the latent box and every BO iteration ask for the same graphs again
        return layers_to_graph(self.layers(arch))

    def from_graph(self, graph: ArchGraph) -> YoloArch:
        """Reads the depths off the graph's ELAN blocks (a 1x1, 1x1, 3x3-chain,
        concat, 1x1 run of node types) and checks the whole graph against them."""
        if not all(0 <= t < len(NODE_TYPES) for t in graph.ops):
            raise ValueError("YOLO graph has a node type outside the space's vocabulary")
        text = "".join(_CODES[t] for t in graph.ops)
        runs = [len(m.group(1)) for m in _ELAN.finditer(text)]
        if len(runs) != len(self.choices):
            raise ValueError(f"YOLO graph has {len(runs)} ELAN blocks, expected {len(self.choices)}")
        arch = []
        for k, run in enumerate(runs):
            depth = 1 + run // 2 if self.base == "yolov7" and k < BACKBONE_BLOCKS else 1 + run
            if elan_chain(self.base, k, depth)[0] != run or depth not in self.choices[k]:
                raise ValueError(f"YOLO graph: ELAN block {k + 1} has a 3x3 chain of {run}, which no depth gives")
            arch.append(depth)
        if self.to_graph(tuple(arch)) != graph:
            raise ValueError(f"YOLO graph is not the layer graph of {self.format(tuple(arch))}")
        return tuple(arch)

    @functools.cached_property
    def _segment_types(self) -> tuple[list[list[int]], list[dict[int, list[int]]]]:
        """The node types between ELAN blocks (fixed), and each block's types per depth."""
        shallow = tuple(c[0] for c in self.choices)
        built = yolo_layers(self.base, shallow, self.network.num_classes)
        types = [NODE_TYPES.index("input")] + [NODE_TYPES.index(node_type(layer)) for layer in built.layers]
        fixed, previous = [], 0
        for start, end in built.blocks:
            fixed.append(types[previous : start + 1])
            previous = end + 1
        fixed.append(types[previous:])
        conv1, conv3, concat = (NODE_TYPES.index(n) for n in ("conv1x1", "conv3x3", "concat"))
        per_depth = [
            {d: [conv1, conv1] + [conv3] * elan_chain(self.base, k, d)[0] + [concat, conv1] for d in choices}
            for k, choices in enumerate(self.choices)
        ]
        return fixed, per_depth

    def project(self, node_logits: Tensor, edge_logits: Tensor) -> YoloArch:
        """The depth vector whose node-type sequence is most likely under the
        decoder (exact, by dynamic programming over the blocks' positions; the
        slots after the last node count as "no node")."""
        logp = torch.log_softmax(node_logits.double(), dim=-1)
        absent = logp.shape[1] - 1
        rows = logp.tolist()  # python lists: the DP scores thousands of short runs
        tail = logp[:, absent].flip(0).cumsum(0).flip(0).tolist() + [0.0]  # tail[p] = sum of absent from p on
        fixed, per_depth = self._segment_types

        def score(types: list[int], offset: int) -> float:
            if offset + len(types) > len(rows):
                return float("-inf")
            return sum(rows[offset + i][t] for i, t in enumerate(types))

        states: dict[int, tuple[float, tuple[int, ...]]] = {len(fixed[0]): (score(fixed[0], 0), ())}
        for k, options in enumerate(per_depth):
            nxt: dict[int, tuple[float, tuple[int, ...]]] = {}
            for offset, (total, depths) in states.items():
                for depth, types in options.items():
                    seq = types + fixed[k + 1]
                    value = total + score(seq, offset)
                    end = offset + len(seq)
                    if end not in nxt or value > nxt[end][0]:
                        nxt[end] = (value, (*depths, depth))
            states = nxt
        best = max(states.items(), key=lambda item: item[1][0] + tail[item[0]])
        return best[1][1]

    # --- identity, sampling -------------------------------------------------
    def canonical_key(self, arch: YoloArch) -> str:
        """The string form: no two depth vectors build the same network."""
        return self.format(arch)

    def sample(self, rng: random.Random) -> YoloArch:
        return tuple(rng.choice(c) for c in self.choices)

    def one_hot(self, arch: YoloArch) -> list[float]:
        return one_hot_choices(list(zip(arch, self.choices)))

    def path_encoding(self, arch: YoloArch) -> list[float]:
        """Empty: the network is one chain of ELAN blocks whose depths are the choices, so the
        one-hot choices already describe its function."""
        return []

    def neighbours(self, arch: YoloArch) -> list[YoloArch]:
        return [arch[:k] + (d,) + arch[k + 1:] for k, c in enumerate(self.choices) for d in c if d != arch[k]]

    @property
    def size(self) -> int:
        n = 1
        for c in self.choices:
            n *= len(c)
        return n

    def enumerate(self) -> Iterator[YoloArch]:
        yield from itertools.product(*self.choices)

    # --- networks -----------------------------------------------------------
    def input_shape(self, **overrides: int) -> tuple[int, int, int]:
        net = replace(self.network, **overrides)
        return (net.input_channels, net.image_size, net.image_size)

    def build(self, arch: YoloArch, **overrides: int) -> nn.Module:
        net = replace(self.network, **overrides)
        if net.base != self.base:
            raise ValueError("YOLO network option 'base' is part of the space; it cannot be overridden")
        act = nn.SiLU if self.base == "yolov7" else nn.LeakyReLU
        return YoloNet(self.layers(arch, net.num_classes), net.input_channels, act)

    # --- lookup-table cost model -----------------------------------------------
    def lut_keys(self, arch: YoloArch) -> list[str]:
        """TANGO's block table: ``backbone/d1d2d3d4`` + ``head/d5d6d7d8``."""
        self._check(arch)
        digits = "".join(str(d) for d in arch)
        return [f"backbone/{digits[:BACKBONE_BLOCKS]}", f"head/{digits[BACKBONE_BLOCKS:]}"]

    def lut_layers(self) -> dict[str, TimedLayer]:
        """None: TANGO's block entries are measured on the target device, not timed here."""
        return {}

    def lut_counts(self, arch: YoloArch) -> dict[str, float]:
        """None: a block table's sum is the whole network's cost."""
        return {}
