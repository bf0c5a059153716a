"""The search-space interface: a small core every space implements, and optional capabilities.

The core (:class:`SearchSpace`) knows an architecture as a hashable object and as its
*string* form (what tables, history files and users read): parse, format, sample,
enumerate (finite spaces), one-choice neighbours and a canonical key.

A capability is a :class:`typing.Protocol` a space meets by having its methods; what
needs one checks it with :func:`require` and says which is missing:

* :class:`GraphCodec`: the *graph* form, an op-on-node DAG in topological order
  (:class:`ArchGraph`), which the graph VAE embeds and decodes;
* :class:`Featurized`: one-hot choices and the path encoding (the surrogate's inputs);
* :class:`NetworkBuilder`: a real ``torch.nn.Module`` per architecture (training,
  timing, parameters and FLOPs);
* :class:`CostTableKeys`: the entries of a lookup-table cost model.

:class:`GraphDefaults`, :class:`FeatureDefaults` and :class:`NetworkDefaults` give the
derived methods of a capability from its essential ones.
"""

from __future__ import annotations

import abc
import random
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

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
    """The core of a search space.

    Subclasses set ``name`` and implement the abstract methods; a finite space also
    overrides :attr:`size` and :meth:`enumerate`. Network options (widths, depths,
    input and output shapes) are given to the constructor.
    """

    name: str

    @abc.abstractmethod
    def parse(self, text: str) -> Arch:
        """Parses the string form. Raises ``ValueError`` naming the bad token."""

    @abc.abstractmethod
    def format(self, arch: Arch) -> str:
        """Returns the string form of ``arch`` (inverse of :meth:`parse`)."""

    @abc.abstractmethod
    def canonical_key(self, arch: Arch) -> str:
        """A key shared by exactly the architectures that compute the same function."""

    @abc.abstractmethod
    def sample(self, rng: random.Random) -> Arch:
        """Draws one architecture uniformly from the space."""

    @abc.abstractmethod
    def neighbours(self, arch: Arch) -> list[Arch]:
        """Every architecture that differs from ``arch`` in exactly one choice (an op, an input, a depth),
        in a fixed order."""

    @property
    def size(self) -> int | None:
        """Number of architectures (``None`` when the space is too large to enumerate)."""
        return None

    def enumerate(self) -> Iterator[Arch]:
        """Yields every architecture of a finite space (``size`` not ``None``), in a fixed order."""
        raise ValueError(f"space '{self.name}' is not finite; sample it instead")

    def is_constant(self, arch: Arch) -> bool:
        """Whether the network's output cannot depend on its input (e.g. an NB201 cell whose
        every input-to-output path is cut by ``none``): such a network scores chance
        accuracy whatever it is trained on, so no BO step takes one as a candidate (the
        initial design stays uniform). False in spaces without such networks."""
        return False


@runtime_checkable
class GraphCodec(Protocol):
    """Capability: the graph form the graph VAE embeds and decodes.

    Attributes:
        node_types: the graph vocabulary.
        max_nodes: the largest graph of the space.
    """

    node_types: tuple[str, ...]
    max_nodes: int

    def to_graph(self, arch: Arch) -> ArchGraph:
        """Returns the op-on-node DAG of ``arch``."""

    def from_graph(self, graph: ArchGraph) -> Arch:
        """Inverse of :meth:`to_graph`. Raises ``ValueError`` if the graph is not valid."""

    def is_valid_graph(self, graph: ArchGraph) -> bool:
        """Whether ``graph`` is exactly the graph of some architecture of the space."""

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


@runtime_checkable
class Featurized(Protocol):
    """Capability: fixed-length encodings of an architecture, the surrogate's inputs.

    Attributes:
        dead_choices: whether a choice can be dead (cannot reach the output), so that
            :meth:`live_one_hot` can differ from :meth:`one_hot`.
    """

    dead_choices: bool

    def one_hot(self, arch: Arch) -> list[float]:
        """The architecture's choices one-hot encoded (fixed length per space; see
        :func:`one_hot_choices`)."""

    def live_one_hot(self, arch: Arch) -> list[float]:
        """``one_hot`` with every choice that cannot reach the output set to its no-op: equal
        for strings that differ only in such dead choices."""

    def path_encoding(self, arch: Arch) -> list[float]:
        """Fixed-length counts of the op sequences along the computation's input-to-output
        paths (the path encoding of BANANAS, White et al. 2021), scaled into [0, 1] and
        equal for architectures with one canonical key."""


@runtime_checkable
class NetworkBuilder(Protocol):
    """Capability: the network of an architecture as a ``torch.nn.Module``."""

    def build(self, arch: Arch, **overrides: int) -> nn.Module:
        """Builds the network; ``overrides`` replace the space's network options for this
        build (e.g. ``input_channels``, ``num_classes``)."""

    def build_seeded(self, arch: Arch, seed: int, **overrides: int) -> nn.Module:
        """:meth:`build` with initial weights fixed by ``seed``."""

    def input_shape(self, **overrides: int) -> tuple[int, int, int]:
        """The ``C x H x W`` input the built network is meant for."""

    def params(self, arch: Arch, **overrides: int) -> int:
        """Number of trainable parameters of the built network."""

    def flops(self, arch: Arch, **overrides: int) -> int:
        """FLOPs of one forward pass at batch 1 (a multiply-add counts as 2)."""


@runtime_checkable
class CostTableKeys(Protocol):
    """Capability: a lookup-table cost model (``spaces.lut``)."""

    def lut_keys(self, arch: Arch) -> list[str]:
        """Keys of the entries whose sum predicts the cost of ``arch``'s network: ``section/name``
        (e.g. ``op/sep_conv_3x3:c36:h32:s1`` or ``backbone/3333``), one per layer instance."""

    def lut_layers(self) -> dict[str, TimedLayer]:
        """Every entry the space can time on this host, by key (may be empty)."""

    def lut_counts(self, arch: Arch) -> dict[str, float]:
        """Structural counts a table sum misses (additions, concatenations), calibration features."""


def require(space: SearchSpace, capability: type, purpose: str) -> None:
    """Raises ``ValueError`` naming what ``space`` lacks of ``capability`` for ``purpose``.

    Args:
        space: the space.
        capability: one of the capability protocols.
        purpose: what needs it (e.g. ``"the graph VAE"``).
    """
    if not isinstance(space, capability):
        members = set(vars(capability).get("__annotations__", {}))
        members |= {k for k, v in vars(capability).items() if callable(v) and not k.startswith("_")}
        missing = [m for m in members if not hasattr(space, m)]
        raise ValueError(f"space '{space.name}' has no {capability.__name__} capability ({', '.join(sorted(missing))}), "
                         f"which {purpose} needs")


class GraphDefaults:
    """:meth:`GraphCodec.is_valid_graph` from ``to_graph`` and ``from_graph``."""

    def is_valid_graph(self, graph: ArchGraph) -> bool:
        try:
            arch = self.from_graph(graph)  # type: ignore[attr-defined]
        except ValueError:
            return False
        return self.to_graph(arch) == graph  # type: ignore[attr-defined]


class FeatureDefaults:
    """:class:`Featurized` members for a space without dead choices."""

    dead_choices = False

    def live_one_hot(self, arch: Arch) -> list[float]:
        return self.one_hot(arch)  # type: ignore[attr-defined]


class NetworkDefaults:
    """:class:`NetworkBuilder`'s derived methods from ``build`` and ``input_shape``."""

    def build_seeded(self, arch: Arch, seed: int, **overrides: int) -> nn.Module:
        """``build`` with torch's generator seeded by ``seed`` (the same initial weights every
        time), leaving the global generator as it was."""
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            return self.build(arch, **overrides)  # type: ignore[attr-defined]

    def params(self, arch: Arch, **overrides: int) -> int:
        return count_params(self.build(arch, **overrides))  # type: ignore[attr-defined]

    def flops(self, arch: Arch, **overrides: int) -> int:
        model = self.build(arch, **overrides)  # type: ignore[attr-defined]
        return count_flops(model, (1, *self.input_shape(**overrides)))  # type: ignore[attr-defined]
