"""The search-space interface every space implements.

A space knows its architectures in three forms:

* the *architecture* object (hashable, space specific),
* its *string* form (what tables, history files and users read),
* its *graph* form: an op-on-node DAG in topological order (:class:`ArchGraph`),
  which is what the graph VAE embeds and decodes.
"""

from __future__ import annotations

import abc
import random
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from spaces.profile import count_flops, count_params

Arch = Hashable


@dataclass(frozen=True)
class ArchGraph:
    """An op-on-node DAG in topological order.

    Attributes:
        ops: node type of each node, as indices into the space's ``node_types``
            (length ``n``).
        edges: directed edges ``(src, dst)`` with ``src < dst`` (so the adjacency
            matrix is strictly upper-triangular), sorted.
    """

    ops: tuple[int, ...]
    edges: tuple[tuple[int, int], ...]

    @property
    def num_nodes(self) -> int:
        return len(self.ops)

    def adjacency(self) -> Tensor:
        """Returns the ``n x n`` 0/1 float adjacency matrix (``A[i, j] = 1`` for ``i -> j``)."""
        n = self.num_nodes
        adj = torch.zeros(n, n)
        if self.edges:
            index = torch.tensor(self.edges, dtype=torch.long)
            adj[index[:, 0], index[:, 1]] = 1.0
        return adj

    @staticmethod
    def from_adjacency(ops: Sequence[int], adj: Tensor) -> "ArchGraph":
        """Builds a graph from node types and an ``n x n`` adjacency (upper triangle is read)."""
        n = len(ops)
        edges = tuple(
            (i, j) for i in range(n) for j in range(i + 1, n) if bool(adj[i, j] > 0)
        )
        return ArchGraph(tuple(int(o) for o in ops), edges)


def check_positive_ints(options: object, label: str, keys: Sequence[str] | None = None) -> None:
    """Raises ``ValueError`` naming the first of ``keys`` (default: every field) of the
    ``options`` dataclass that is not a positive integer; ``label`` names the space."""
    for key in keys if keys is not None else list(vars(options)):
        value = getattr(options, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{label} network option '{key}' must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class TimedLayer:
    """One lookup-table entry as a layer that can be timed on this host.

    Attributes:
        make: builds the layer (a fresh ``nn.Module``).
        input_shape: ``C x H x W`` of the layer's input (batch 1).
    """

    make: Callable[[], nn.Module]
    input_shape: tuple[int, int, int]


def one_hot_choices(choices: Sequence[tuple[object, Sequence[object]]]) -> list[float]:
    """Concatenated one-hot vectors of ``(value, options)`` pairs, one per choice of an architecture."""
    out: list[float] = []
    for value, options in choices:
        out.extend(1.0 if value == option else 0.0 for option in options)
    return out


class SearchSpace(abc.ABC):
    """Abstract search space.

    Subclasses set ``name``, ``node_types`` (the graph vocabulary) and
    ``max_nodes`` (the largest graph of the space), and implement the
    abstract methods. Network options (widths, depths, input and output
    shapes) are given to the constructor and used by :meth:`build`.
    """

    name: str
    node_types: tuple[str, ...]
    max_nodes: int
    #: whether a choice can be dead (cannot reach the output), so that
    #: :meth:`live_one_hot` can differ from :meth:`one_hot`
    dead_choices: bool = False
    #: network options (for :meth:`build`) of a small copy of the network on which a
    #: training-free proxy, as a surrogate input (``search.quality_proxy``), scores a
    #: thousand candidates in tens of seconds and still ranks them; ``None``: no such copy is
    #: measured (``quality_proxy: auto`` leaves the proxy out, ``synflow`` scores the
    #: full network)
    proxy_network: dict[str, int] | None = None

    # --- string form -------------------------------------------------------
    @abc.abstractmethod
    def parse(self, text: str) -> Arch:
        """Parses the string form. Raises ``ValueError`` naming the bad token."""

    @abc.abstractmethod
    def format(self, arch: Arch) -> str:
        """Returns the string form of ``arch`` (inverse of :meth:`parse`)."""

    # --- graph form --------------------------------------------------------
    @abc.abstractmethod
    def to_graph(self, arch: Arch) -> ArchGraph:
        """Returns the op-on-node DAG of ``arch``."""

    @abc.abstractmethod
    def from_graph(self, graph: ArchGraph) -> Arch:
        """Inverse of :meth:`to_graph`. Raises ``ValueError`` if the graph is not valid."""

    def is_valid_graph(self, graph: ArchGraph) -> bool:
        """Whether ``graph`` is exactly the graph of some architecture of the space."""
        try:
            arch = self.from_graph(graph)
        except ValueError:
            return False
        return self.to_graph(arch) == graph

    @abc.abstractmethod
    def project(self, node_logits: Tensor, edge_logits: Tensor) -> Arch:
        """Maps decoder logits to a valid architecture (always succeeds).

        Args:
            node_logits: ``max_nodes x (len(node_types) + 1)`` logits; the last
                column is "no node here" (for spaces with variable graph size).
            edge_logits: ``max_nodes x max_nodes`` logits of ``i -> j`` edges; only
                the strict upper triangle is read.

        Returns:
            The architecture of the space that best matches the logits.
        """

    # --- identity, sampling -------------------------------------------------
    @abc.abstractmethod
    def canonical_key(self, arch: Arch) -> str:
        """A key shared by exactly the architectures that compute the same function."""

    @abc.abstractmethod
    def sample(self, rng: random.Random) -> Arch:
        """Draws one architecture uniformly from the space."""

    @abc.abstractmethod
    def one_hot(self, arch: Arch) -> list[float]:
        """The architecture's choices one-hot encoded (fixed length per space), a
        surrogate input beside the latent code (see :func:`one_hot_choices`)."""

    def live_one_hot(self, arch: Arch) -> list[float]:
        """``one_hot`` of the architecture with every choice that cannot reach the output
        (e.g. an NB201 op on an edge cut off by ``none``) set to its no-op: equal for strings
        that differ only in such dead choices, so a surrogate of what the network computes
        sees them as one. Spaces without dead choices (``dead_choices`` false) return ``one_hot``."""
        return self.one_hot(arch)

    @abc.abstractmethod
    def path_encoding(self, arch: Arch) -> list[float]:
        """Fixed-length counts of the op sequences along the computation's input-to-output
        paths (the path encoding of BANANAS), scaled into [0, 1] (the GP's input box assumes
        it) and equal for architectures with one canonical key:
        a surrogate input that describes what the network computes, beside ``one_hot``,
        which describes how it is written (and so what it costs)."""

    def is_constant(self, arch: Arch) -> bool:
        """Whether the network's output cannot depend on its input (e.g. an NB201 cell whose
        every input-to-output path is cut by ``none``): such a network scores chance
        accuracy whatever it is trained on, so no BO step takes one as a candidate (the
        initial design stays uniform). False in spaces without such networks."""
        return False

    @abc.abstractmethod
    def neighbours(self, arch: Arch) -> list[Arch]:
        """Every architecture that differs from ``arch`` in exactly one choice (an op, an input, a depth),
        in a fixed order."""

    @property
    def size(self) -> int | None:
        """Number of architectures (``None`` when the space is too large to enumerate)."""
        return None

    def enumerate(self) -> Iterator[Arch]:
        """Yields every architecture of a finite space, in a fixed order."""
        raise NotImplementedError(f"space '{self.name}' is not enumerable")

    # --- networks -----------------------------------------------------------
    @abc.abstractmethod
    def build(self, arch: Arch, **overrides: int) -> nn.Module:
        """Builds the network of ``arch`` as a ``torch.nn.Module``.

        Args:
            arch: the architecture.
            overrides: network options that replace the space's own for this
                build (e.g. ``input_channels``, ``num_classes``).
        """

    def build_seeded(self, arch: Arch, seed: int, **overrides: int) -> nn.Module:
        """:meth:`build` with torch's generator seeded by ``seed`` (the same initial
        weights every time), leaving the global generator as it was."""
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            return self.build(arch, **overrides)

    @abc.abstractmethod
    def input_shape(self, **overrides: int) -> tuple[int, int, int]:
        """The ``C x H x W`` input the built network is meant for."""

    # --- lookup-table cost model -----------------------------------------------
    def lut_keys(self, arch: Arch) -> list[str]:
        """Keys of the lookup-table entries whose sum predicts the cost of ``arch``'s network.

        A key is ``section/name`` (e.g. ``op/sep_conv_3x3:c36:h32:s1`` or
        ``backbone/3333``); a key may repeat (one entry per layer instance).
        """
        raise NotImplementedError(f"space '{self.name}' has no lookup-table cost model")

    def lut_layers(self) -> dict[str, TimedLayer]:
        """Every lookup-table entry the space can time on this host, by key."""
        raise NotImplementedError(f"space '{self.name}' cannot time its lookup-table entries on this host")

    def lut_counts(self, arch: Arch) -> dict[str, float]:
        """Structural counts of ``arch``'s network that a lookup-table sum misses
        (e.g. additions, concatenations); the calibration uses them as features."""
        return {}

    def params(self, arch: Arch, **overrides: int) -> int:
        """Number of trainable parameters of the built network."""
        return count_params(self.build(arch, **overrides))

    def flops(self, arch: Arch, **overrides: int) -> int:
        """FLOPs of one forward pass at batch 1 (a multiply-add counts as 2)."""
        model = self.build(arch, **overrides)
        return count_flops(model, (1, *self.input_shape(**overrides)))
