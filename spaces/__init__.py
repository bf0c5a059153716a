"""Search spaces as graphs: architectures <-> DAGs, canonical keys, networks."""

from __future__ import annotations

from spaces.base import Arch, ArchGraph, SearchSpace
from spaces.enas import EnasSpace
from spaces.nb201 import NB201Space
from spaces.yolo import YoloSpace

SPACES: dict[str, type[SearchSpace]] = {
    space.name: space for space in (NB201Space, EnasSpace, YoloSpace)
}


def get_space(name: str, **network: int | str) -> SearchSpace:
    """Returns the search space called ``name``.

    Args:
        name: the space's name (see :data:`SPACES`).
        network: options of the space's network builder (e.g. ``channels``).

    Raises:
        ValueError: for an unknown name (the message lists the known ones) or a
            bad network option.
    """
    if name not in SPACES:
        raise ValueError(f"unknown search space {name!r}; known spaces: {', '.join(sorted(SPACES))}")
    try:
        return SPACES[name](**network)
    except TypeError as err:  # an unknown keyword of the network options
        raise ValueError(f"search space {name!r}: bad network option: {err}") from None


__all__ = ["Arch", "ArchGraph", "SearchSpace", "SPACES", "get_space"]
