"""GP inputs of architectures, with a named layout of their columns.

The surrogate models each objective from the columns that describe what drives it:

* a cost (a minimized objective: latency, energy) is a property of the string as it
  runs; it sees the one-hot choices and, in a space with dead choices, the live
  one-hot choices (dead ops still run on some devices, others' compilers drop them);
* a quality (a maximized objective: accuracy) is a property of what the network
  computes; it sees the live one-hot choices and the path encoding (BANANAS, White et
  al. 2021), which architectures computing one function share.

An objective with a ``prior`` (a latency predictor adapted to the device) also sees the
predictor's value as one more column, whose linear trend is its GP's prior mean
(:class:`mobo.surrogate.TrendMean`): the GP starts from the predicted ranking.

The reason for these inputs: ``docs/decisions/0001-surrogate-inputs.md``; what the prior
buys: ``docs/decisions/0009-latency-predictor.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from mobo.config import Config, ObjectiveConfig
from mobo.latency_predictor import space_pool
from mobo.objectives.predictor import load_adapted
from spaces import Arch, SearchSpace
from spaces.base import Featurized, require

PRIOR = "prior:"  # a prior column's block is named PRIOR + the objective's name


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
        return [(quality if o.direction == "maximize" else cost) + self.columns(PRIOR + o.name) for o in objectives]

    def prior_columns(self, objectives: Sequence[ObjectiveConfig]) -> list[int | None]:
        """Per objective, the column of its prior (``None`` without one)."""
        return [next(iter(self.columns(PRIOR + o.name)), None) for o in objectives]


class PriorColumn:
    """``archs -> n`` an adapted latency predictor's log-latency, scaled so that the space's
    fastest and slowest predicted architectures map to 0 and 1 (a fixed scale, the same in
    every step).

    Args:
        space: the search space.
        path: the adapted predictor file.
    """

    def __init__(self, space: SearchSpace, path: str) -> None:
        self.space = space
        self.predictor = load_adapted(path, space)
        pool = self.predictor.predict_log(space, space_pool(space))
        self.low, self.span = float(pool.min()), max(float(pool.max() - pool.min()), 1e-9)

    def __call__(self, archs: Sequence[Arch]) -> Tensor:
        return (self.predictor.predict_log(self.space, archs) - self.low) / self.span


def prior_columns(config: Config, space: SearchSpace) -> dict[str, PriorColumn]:
    """The prior column of each objective with a ``prior``, by objective name.

    Raises:
        ValueError: naming ``objectives.<name>.prior`` when the file cannot be used.
    """
    out = {}
    for o in config.objectives:
        if o.prior is not None:
            try:
                out[o.name] = PriorColumn(space, o.prior)
            except ValueError as err:
                raise ValueError(f"objectives.{o.name}.prior: {err}") from None
    return out


class ChoiceFeaturizer:
    """``archs -> (n x d inputs, Layout)``: one-hot choices, live one-hot choices (spaces with
    dead choices only), the path encoding and the prior columns, every entry in [0, 1]
    (a prior column's nearly so).

    Args:
        space: a space with the featurization capability (``one_hot``, ``live_one_hot``,
            ``path_encoding``; :class:`spaces.Featurized`).
        priors: objective name -> its prior column (:func:`prior_columns`).
    """

    def __init__(self, space: SearchSpace, priors: Mapping[str, PriorColumn] | None = None) -> None:
        require(space, Featurized, "the search's surrogate")
        self.space = space
        self.priors = dict(priors or {})

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
        if self.priors:
            x = torch.cat([x, *(prior(archs)[:, None] for prior in self.priors.values())], dim=1)
            blocks += [(PRIOR + name, 1) for name in self.priors]
        return x, Layout(tuple(blocks))
