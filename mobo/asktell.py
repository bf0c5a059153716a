"""Ask/tell: the search proposes, the user evaluates elsewhere (a training cluster, a device lab)
and tells the results, in any order. The asked architectures are kept in the run directory
(``asked.json``), so a run resumes like any other."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol

from mobo import proposer
from mobo.candidates import initial_design
from mobo.evaluation import evaluation_of
from mobo.execution.base import Job
from mobo.history import Evaluation
from mobo.results import SearchResult
from mobo.rundir import RunDir
from spaces import Arch


class Search(proposer.Search, Protocol):
    """What ask/tell uses of the search (:class:`mobo.loop.Search` has it)."""

    files: RunDir

    def propose(self, iteration: int, q: int | None = None, pending: Sequence[Job] = ()) -> list[Arch]:
        """``q`` new architectures for step ``iteration``, ``pending`` ones beside them."""

    def save_results(self, bar: None) -> SearchResult:
        """Rewrites the run's results from its history."""


def ask(search: Search, n: int) -> list[Arch]:
    """``n`` distinct architectures neither evaluated nor asked before: the rest of the initial
    design first, then one BO step with the asked ones pending.

    Returns:
        The architectures, recorded as asked.
    """
    if n < 1:
        raise ValueError(f"ask: n must be at least 1, got {n}")
    space = search.space
    asked = search.files.read_asked()
    taken = search.history.archs | set(asked)
    design = initial_design(space, search.config.search.initial, search.config.seed)
    picks = [(a, 0) for a in design if space.format(a) not in taken][:n]
    if len(picks) < n:
        iteration = 1 + max([search.history.last_iteration, 0, *asked.values()])
        pending = [Job(a, it) for a, it in asked.items()] + [Job(space.format(a), it) for a, it in picks]
        picks += [(a, iteration) for a in search.propose(iteration, n - len(picks), pending)]
    search.files.write_asked({**asked, **{space.format(a): it for a, it in picks}})
    return [a for a, _ in picks]


def tell(search: Search, arch: Arch | str, values: Mapping[str, float] | None, error: str) -> Evaluation:
    """Records the evaluation of an asked architecture and rewrites the run's results once the
    initial design is told.

    Raises:
        ValueError: for an architecture not asked (or told already), a missing or non-finite
            value, or neither values nor an error.
    """
    space, config = search.space, search.config
    text = arch if isinstance(arch, str) else space.format(arch)
    asked = search.files.read_asked()
    if text not in asked:
        raise ValueError(f"tell: {text!r} was not asked, or was told already")
    names = [o.name for o in config.objectives]
    if not error:
        if values is None or sorted(values) != sorted(names):
            raise ValueError(f"tell: give a value for each of {', '.join(names)} (or error=...), got {values!r}")
        bad = [k for k, v in values.items() if not math.isfinite(float(v))]
        if bad:
            raise ValueError(f"tell: {bad[0]} is {values[bad[0]]!r}, not a finite number (tell error=... instead)")
    evaluation = evaluation_of(space.parse(text), {} if error else values or {}, error, config, space, len(search.history),
                               asked[text], 0.0)
    search.history.append(evaluation)
    del asked[text]
    search.files.write_asked(asked)
    if len(search.history) >= config.search.initial or search.files.read_reference() is not None:
        search.save_results(None)
    return evaluation

