"""What every objective source shares: the evaluator type, what it is built from, and the registry.

An objective source is a small frozen dataclass whose fields are its settings under
``objectives.<name>`` in the config. It validates its own settings (``__post_init__``),
names the unit of its values, checks what it needs from the rest of the config, and
builds its evaluator. Adding a source is one module in this package that defines such a
class and decorates it with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, TypeVar

from spaces import Arch, SearchSpace

if TYPE_CHECKING:  # the config imports this module
    from mobo.config import Config
    from mobo.objectives.table import BenchmarkTable

Evaluator = Callable[[Arch], float]


@dataclass(frozen=True)
class BuildContext:
    """What a source may use to build its evaluator.

    Attributes:
        space: the search space.
        table: the benchmark table of ``table.path`` (``None`` when none is set).
        seed: the run's seed (initial weights, batch order, a user function's draws).
    """

    space: SearchSpace
    table: BenchmarkTable | None
    seed: int


class ObjectiveSource:
    """Base of the objective sources (subclasses are frozen dataclasses of their settings).

    Attributes:
        name: the ``source:`` value that selects the class.
        error_key: the setting an error while building the evaluator is reported under
            (``objectives.<name>.<error_key>``).
        is_proxy: values are a training-free proxy, not an accuracy in %.
    """

    name: ClassVar[str]
    error_key: ClassVar[str] = "source"
    is_proxy: ClassVar[bool] = False

    def unit(self) -> str:
        """The unit of the values (``%``, ``ms``, ``mJ``, ``M``, ...; ``""`` when unknown)."""
        return ""

    def check(self, objective: str, config: Config) -> None:
        """Checks what the source needs from the rest of the config.

        Raises:
            ValueError: a message that starts with the offending key path.
        """

    def build(self, context: BuildContext) -> Evaluator:
        """The evaluator ``arch -> float``.

        Raises:
            ValueError: when the settings cannot be used (a missing file or column).
        """
        raise NotImplementedError


class SettingError(ValueError):
    """A source's setting ``key`` cannot be used (reported as ``objectives.<name>.<key>``
    instead of the source's ``error_key``)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


SOURCES: dict[str, type[ObjectiveSource]] = {}
S = TypeVar("S", bound=type[ObjectiveSource])


def register(cls: S) -> S:
    """Class decorator: makes ``cls`` selectable as ``source: <cls.name>``."""
    if cls.name in SOURCES:
        raise ValueError(f"objective source {cls.name!r} is registered twice")
    SOURCES[cls.name] = cls
    return cls
