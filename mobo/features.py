"""GP inputs of architectures, with a named layout of their columns.

The surrogate models each objective from the columns that describe what drives it:

* a cost (a minimized objective: latency, energy) is a property of the string as it
  runs; it sees the one-hot choices and, in a space with dead choices, the live
  one-hot choices (dead ops still run on some devices, others' compilers drop them);
* a quality (a maximized objective: accuracy) is a property of what the network
  computes; it sees the live one-hot choices and the path encoding (BANANAS, White et
  al. 2021), which architectures computing one function share.

The reason for these inputs: ``docs/decisions/0001-surrogate-inputs.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from mobo.config import ObjectiveConfig
from spaces import Arch, SearchSpace
from spaces.base import Featurized, require


@dataclass(frozen=True)
class Layout:
    """Named blocks of consecutive GP input columns.

    Attributes:
        blocks: ``(name, width)`` in column order.
    """

    blocks: tuple[tuple[str, int], ...]

    @property
    def width(self) -> int:
        return sum(width for _, width in self.blocks)

    def columns(self, *names: str) -> list[int]:
        """The column indices of the named blocks, in column order (absent names are skipped)."""
        out: list[int] = []
        start = 0
        for name, width in self.blocks:
            if name in names:
                out.extend(range(start, start + width))
            start += width
        return out

    def objective_columns(self, objectives: Sequence[ObjectiveConfig]) -> list[list[int]]:
        """Per objective, the columns its GP sees (the module's rule: costs and qualities)."""
        cost = self.columns("one_hot", "live_one_hot")
        quality = self.columns("live_one_hot", "paths") if self.columns("live_one_hot") else self.columns(
            "one_hot", "paths")
        return [quality if o.direction == "maximize" else cost for o in objectives]


class ChoiceFeaturizer:
    """``archs -> (n x d inputs, Layout)``: one-hot choices, live one-hot choices (spaces with
    dead choices only) and the path encoding, every entry in [0, 1].

    Args:
        space: a space with the featurization capability (``one_hot``, ``live_one_hot``,
            ``path_encoding``; :class:`spaces.Featurized`).
    """

    def __init__(self, space: SearchSpace) -> None:
        require(space, Featurized, "the search's surrogate")
        self.space = space

    def __call__(self, archs: Sequence[Arch]) -> tuple[Tensor, Layout]:
        """Returns the ``n x d`` inputs (float64) and their layout."""
        space = self.space
        live = space.dead_choices
        rows = [space.one_hot(a) + (space.live_one_hot(a) if live else []) + space.path_encoding(a) for a in archs]
        sample = archs[0] if archs else None
        hot = len(space.one_hot(sample)) if sample is not None else 0
        paths = len(space.path_encoding(sample)) if sample is not None else 0
        blocks = [("one_hot", hot)] + ([("live_one_hot", hot)] if live else []) + [("paths", paths)]
        x = torch.tensor(rows, dtype=torch.float64).reshape(len(rows), sum(w for _, w in blocks))
        return x, Layout(tuple(blocks))
