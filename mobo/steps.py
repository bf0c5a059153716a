"""The kinds of BO step and what each one fits and aims at.

* ``random``: no model (``search.acquisition: random``, or fewer than two successful
  evaluations): uniform points of the latent box, decoded.
* ``ordinary``: the whole front above the run's reference point. The GP fit sees the
  values far below the reference raised to a floor: how far below they lie only pulls
  the GP's scale towards the region that adds no hypervolume.
* ``focus`` (every ``search.focus_every``-th step): the accurate corner of the front.
  Each maximized objective whose reference is inferred takes the ``focus_quantile`` of
  the initial design as its reference, and the fit sees the values below it compressed
  logarithmically, so a broken cell still reads worse than a mediocre one without
  setting the GP's noise. See ``docs/decisions/0002-focus-steps.md``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from torch import Tensor

from mobo.config import SearchSettings
from mobo.surrogate import clip_below_reference, compress_below_reference


class StepKind(enum.Enum):
    RANDOM = "random"
    ORDINARY = "ordinary"
    FOCUS = "focus"


def step_kind(iteration: int, settings: SearchSettings, observations: int, reward_mode: bool) -> StepKind:
    """The kind of BO step ``iteration`` (1-based) given ``observations`` successful evaluations."""
    if (settings.acquisition == "random" and not reward_mode) or observations < 2:
        return StepKind.RANDOM
    if not reward_mode and settings.focus_every > 0 and iteration % settings.focus_every == 0:
        return StepKind.FOCUS
    return StepKind.ORDINARY


#: What a GP fit sees of outcomes below the reference, per kind of model step:
#: ``shape(y, ref_point, share)`` on ``n x m`` maximize-form outcomes and the ``m`` reference,
#: with the scale ``share * (best - reference)``.
SHAPING: dict[StepKind, Callable[[Tensor, Tensor, float], Tensor]] = {
    StepKind.ORDINARY: clip_below_reference,
    StepKind.FOCUS: compress_below_reference,
}
