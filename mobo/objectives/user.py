"""A user's own evaluator, named in the config as ``module:function``."""

from __future__ import annotations

import importlib
import math
import numbers
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch

from mobo.objectives.base import BuildContext, Evaluator, ObjectiveSource, register
from spaces.base import NetworkBuilder, require
from spaces import Arch, SearchSpace


def load_function(spec: str) -> Callable[..., float]:
    """Imports ``module:function`` (the working directory is importable).

    Raises:
        ValueError: naming the module or function that cannot be found.
    """
    module_name, _, name = spec.partition(":")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"cannot import module {module_name!r} of {spec!r}: {err}") from None
    fn = getattr(module, name, None)
    if not callable(fn):
        raise ValueError(f"module {module_name!r} has no function {name!r}")
    return fn


class UserEvaluator:
    """Evaluator: ``function(arch, model)`` with the built network (torch seeded
    with the run's seed around the call); a non-finite
    or non-numeric result is an error (recorded as a failed evaluation)."""

    def __init__(self, space: SearchSpace, options: CallableSource, seed: int = 0) -> None:
        self.space = space
        self.spec = options.function
        self.function = load_function(options.function)
        self.seed = seed

    def __call__(self, arch: Arch) -> float:
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)  # the run's seed fixes the initialization and the function's draws
            value = self.function(arch, self.space.build(arch))
        if isinstance(value, (bool, str, bytes)) or not isinstance(value, numbers.Real) and not hasattr(
                value, "__float__"):
            raise ValueError(f"{self.spec} returned {value!r}, not a number")
        result = float(value)  # numpy and torch scalars too
        if not math.isfinite(result):
            raise ValueError(f"{self.spec} returned {value!r}, not a finite number")
        return result


@register
@dataclass(frozen=True)
class CallableSource(ObjectiveSource):
    """``source: callable``: a user function ``module:function``, called as
    ``function(arch, model) -> float`` with the space's architecture object and
    its built, untrained ``torch.nn.Module`` (see ``examples/``).

    Attributes:
        function: ``package.module:function`` (importable from the working directory).
    """

    function: str
    name: ClassVar[str] = "callable"
    error_key: ClassVar[str] = "function"

    def __post_init__(self) -> None:
        module, sep, name = self.function.partition(":")
        if not sep or not module or not name.isidentifier():
            raise ValueError(f"function must be 'module:function', got {self.function!r}")

    def build(self, context: BuildContext) -> Evaluator:
        require(context.space, NetworkBuilder, f"source '{self.name}'")
        return UserEvaluator(context.space, self, context.seed)
