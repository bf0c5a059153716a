"""Objective sources: each turns an architecture into one number.

An evaluator is any callable ``arch -> float``. Each source (one module of this
package, see :mod:`mobo.objectives.base`) builds one from its settings; a user can
pass their own evaluators instead.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from mobo.objectives.base import SOURCES, BuildContext, Evaluator, ObjectiveSource, register
from mobo.objectives.table import BenchmarkTable
from spaces import SearchSpace

if TYPE_CHECKING:  # the config imports this package
    from mobo.config import Config

# every module of the package registers its source when imported
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")



def build_evaluators(config: Config, space: SearchSpace, given: Mapping[str, Evaluator] | None = None,
                     names: Collection[str] | None = None) -> dict[str, Evaluator]:
    """One evaluator per configured objective (those in ``names`` when given), in config order:
    ``given`` ones (a Python user's functions) as they are, the others built from their sources.

    Raises:
        ValueError: naming ``objectives.<name>.<key>`` of a source that cannot be built, or a
            given evaluator no objective is named after.
    """
    given = dict(given or {})
    unknown = sorted(set(given) - {o.name for o in config.objectives})
    if unknown:
        raise ValueError(f"evaluators: no objective named {', '.join(map(repr, unknown))} in the config")
    wanted = [o for o in config.objectives if names is None or o.name in names]
    needed = [o for o in wanted if o.name not in given]
    table = BenchmarkTable(config.table.path) if config.table.path and needed else None
    context = BuildContext(space, table, config.seed)
    evaluators = {}
    for o in needed:
        try:
            evaluators[o.name] = o.source.build(context)
        except ValueError as err:
            raise ValueError(f"objectives.{o.name}.{getattr(err, 'key', o.source.error_key)}: {err}") from None
    return {o.name: given[o.name] if o.name in given else evaluators[o.name] for o in wanted}


__all__ = ["SOURCES", "BenchmarkTable", "BuildContext", "Evaluator", "ObjectiveSource", "build_evaluators", "register"]
