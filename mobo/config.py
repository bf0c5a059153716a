"""The search configuration: YAML validated once, at the edge, into typed objects.

Every error names the key path (``objectives.latency.at_most``) and what was
expected. ``--set dotted.key=value`` overrides are applied to the raw mapping
before validation, so they are checked the same way.
"""

from __future__ import annotations

import dataclasses
import math
import types
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import yaml

from gvae.settings import ModelSettings, TrainSettings
from mobo.objectives import SOURCES, ObjectiveSource


class ConfigError(ValueError):
    """A configuration error; the message starts with the offending key path."""


Direction = Literal["maximize", "minimize"]
Acquisition = Literal["qlogehvi_measured", "qlogparego", "random"]
Mode = Literal["pareto", "reward"]


@dataclass(frozen=True)
class SpaceConfig:
    """``space``: which search space, and the options of its network builder."""

    name: str = "nb201"
    network: dict[str, int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class GVAESettings:
    """``gvae``: the graph VAE the search runs in.

    Attributes:
        checkpoint: a trained model to load (``python -m gvae.train``); ``null`` trains one
            with ``model`` and ``train`` and caches it under ``<output_root>/.cache/gvae``,
            keyed by the space and both settings.
        model: the VAE's architecture (``gvae.settings.ModelSettings``).
        train: its training (``gvae.settings.TrainSettings``).
    """

    checkpoint: str | None = None
    model: ModelSettings = field(default_factory=ModelSettings)
    train: TrainSettings = field(default_factory=TrainSettings)


@dataclass(frozen=True)
class TableConfig:
    """``table``: the benchmark table (CSV with an ``arch`` column) the ``table`` source reads."""

    path: str | None = None


@dataclass(frozen=True)
class ObjectiveConfig:
    """One objective (``objectives.<name>``).

    Attributes:
        name: the objective's name (its key under ``objectives``).
        source: where values come from, with its own settings (one of
            :data:`mobo.objectives.SOURCES`: ``table``, ``measured_latency``, ``train``,
            ``lut``, ``latency_predictor``, ``proxy``, ``callable``, ``params``, ``flops``).
        direction: ``maximize`` or ``minimize``.
        at_most: constraint ``value <= at_most`` (a target in reward mode).
        at_least: constraint ``value >= at_least``.
        reference: hypervolume reference value; when not given, the
            constraint bound if any, else the ``reference_quantile`` of the
            initial design.
        reference_quantile: where the inferred reference sits in the initial
            design, as the share of it that is worse (0.5: the median; 0.75:
            better than three quarters, in the objective's own direction).
        resources: Ray resources the objective's evaluation needs (``{GPU: 1}``,
            ``{pi5: 1}``): it runs only on a worker that offers them (``execution.backend: ray``).
    """

    name: str
    source: ObjectiveSource
    direction: Direction
    at_most: float | None = None
    at_least: float | None = None
    reference: float | None = None
    reference_quantile: float = 0.5
    resources: dict[str, float] | None = None

    @property
    def sign(self) -> float:
        """+1 for maximize, -1 for minimize: ``sign * value`` is maximized."""
        return 1.0 if self.direction == "maximize" else -1.0


@dataclass(frozen=True)
class RewardConfig:
    """``search.reward``: the ELP-NAS/MnasNet scalar reward ``ACC * prod (v / target)^w``.

    ``w = alpha`` when every target is met, else ``beta``. Presets: ``hard``
    (alpha 0, beta -1) and ``soft`` (alpha = beta = -0.07); explicit alpha/beta
    override the preset.
    """

    preset: Literal["hard", "soft"] = "soft"
    alpha: float | None = None
    beta: float | None = None

    @property
    def exponents(self) -> tuple[float, float]:
        """``(alpha, beta)`` after applying the preset."""
        alpha, beta = {"hard": (0.0, -1.0), "soft": (-0.07, -0.07)}[self.preset]
        return (alpha if self.alpha is None else self.alpha, beta if self.beta is None else self.beta)


@dataclass(frozen=True)
class SearchSettings:
    """``search``: the loop (the reasons for the defaults: ``docs/decisions/``).

    Attributes:
        budget: total evaluations, the initial design included.
        initial: architectures sampled uniformly before the first BO step; they also
            fix the inferred reference point. Default ``max(10, budget // 5)``.
        batch_size: architectures ``q`` proposed per BO step.
        mode: ``pareto`` (multi-objective BO) or ``reward`` (the ELP-NAS scalar reward).
        acquisition: ``qlogehvi_measured`` (expected hypervolume gain of a new
            *measurement* over the measured front), ``qlogparego`` (random
            Chebyshev scalarizations, one per pick) or ``random`` (uniform in the latent
            box; a baseline). Pareto mode only.
        local_candidates: latent perturbations per observed Pareto architecture and
            trust-region scale, decoded into candidates.
        random_candidates: uniform samples of the space added to the candidates.
        neighbour_candidates: every architecture one choice away from an observed
            Pareto architecture joins the candidates.
        outcome_floor: for the GP fit only, values below the reference are raised to
            ``outcome_floor * (best - reference)`` below it (ordinary steps) or compressed
            logarithmically with that scale (focus steps).
        focus_every: every ``focus_every``-th BO step (0: none) is a focus step that
            aims at the accurate corner of the front (:mod:`mobo.steps`).
        focus_quantile: a focus step's reference quantile for the maximized objectives.
        mc_samples: quasi-MC samples of the acquisition function.
        rescore_candidates: each pick after a batch's first is chosen among this many
            candidates, those whose value alone is highest (:func:`mobo.selection.select`).
        threads: torch threads of the run; a fixed count makes a seed give the same run
            on every machine; ``null``: torch's default (faster, reproducible on that
            machine only).
        reward: settings of reward mode.
    """

    budget: int = 30
    initial: int | None = None  # resolved in __post_init__, always an int after
    batch_size: int = 4
    mode: Mode = "pareto"
    acquisition: Acquisition = "qlogehvi_measured"
    local_candidates: int = 64
    random_candidates: int = 500
    neighbour_candidates: bool = True
    outcome_floor: float = 0.5
    focus_every: int = 2
    focus_quantile: float = 0.75
    mc_samples: int = 32
    rescore_candidates: int = 256
    threads: int | None = 1
    reward: RewardConfig = field(default_factory=RewardConfig)

    def __post_init__(self) -> None:
        if self.initial is None:
            object.__setattr__(self, "initial", default_initial(self.budget))


def default_initial(budget: int) -> int:
    """The initial design's size when ``search.initial`` is not set: a fifth of the budget, at least 10."""
    return max(10, budget // 5)


@dataclass(frozen=True)
class ExportSettings:
    """``export``: network files written for every Pareto architecture at the end of a run
    (under ``pareto_networks/``; the same as ``python -m mobo.export RUN --format yaml|onnx``)."""

    yaml: bool = False
    onnx: bool = False


@dataclass(frozen=True)
class ExecutionSettings:
    """``execution``: where and how evaluations run (:mod:`mobo.execution`).

    Attributes:
        backend: ``local``: in the search's own process, one at a time; ``ray``: on Ray
            workers, ``workers`` at once, the search proposing for each free worker.
        workers: evaluations in flight at once (``local``: 1).
        address: ``ray``: ``null`` starts a Ray instance on this machine; ``auto`` or
            ``ray://HOST:10001`` joins a running cluster.
        timeout_s: an evaluation running longer (s) is recorded as failed with error
            ``timeout`` and its process ended (``local``: each evaluation then runs in a forked
            child process; ``ray``: the worker is killed and Ray starts another). ``null``: no limit.
        retries: ``ray``: times an evaluation whose worker died (not one that raised) is
            resubmitted before it is recorded as failed.
    """

    backend: Literal["local", "ray"] = "local"
    workers: int = 1
    address: str | None = None
    timeout_s: float | None = None
    retries: int = 1


@dataclass(frozen=True)
class Config:
    """A whole search configuration."""

    name: str = "search"
    seed: int = 0
    output_root: str = "runs"
    space: SpaceConfig = field(default_factory=SpaceConfig)
    gvae: GVAESettings = field(default_factory=GVAESettings)
    table: TableConfig = field(default_factory=TableConfig)
    search: SearchSettings = field(default_factory=SearchSettings)
    objectives: tuple[ObjectiveConfig, ...] = ()
    export: ExportSettings = field(default_factory=ExportSettings)
    execution: ExecutionSettings = field(default_factory=ExecutionSettings)

    def objective(self, name: str) -> ObjectiveConfig:
        return next(o for o in self.objectives if o.name == name)

    @property
    def accuracy_objective(self) -> ObjectiveConfig | None:
        """The objective named ``accuracy``, else the only maximized one (or ``None``)."""
        named = [o for o in self.objectives if o.name == "accuracy"]
        if named:
            return named[0]
        maximized = [o for o in self.objectives if o.direction == "maximize"]
        return maximized[0] if len(maximized) == 1 else None


# --- validation -----------------------------------------------------------------


def _type_name(tp: Any) -> str:
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if get_origin(tp) in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in get_args(tp))
    if tp is type(None):
        return "null"
    if is_dataclass(tp) or get_origin(tp) is dict:
        return "a mapping"
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _coerce(value: Any, tp: Any, path: str) -> Any:
    if isinstance(tp, type) and not is_dataclass(tp) and tp not in (bool, int, float, str) and isinstance(value, tp):
        return value  # an object validated on its own (an objective's source)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, path)
            except ConfigError:
                pass
        raise ConfigError(f"{path}: expected {_type_name(tp)}, got {value!r}")
    if origin is Literal:
        if value not in get_args(tp):
            raise ConfigError(f"{path}: expected {_type_name(tp)}, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{path}: expected a string, got {value!r}")
        return value
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping, got {value!r}")
        _, value_tp = get_args(tp)
        return {str(k): _coerce(v, value_tp, f"{path}.{k}") for k, v in value.items()}
    if is_dataclass(tp):
        return build_dataclass(tp, value, path)
    raise ConfigError(f"{path}: unsupported type {tp!r}")  # pragma: no cover - schema bug


def build_dataclass(cls: type, data: Any, path: str) -> Any:
    """Builds dataclass ``cls`` from a mapping, checking keys and types.

    Raises:
        ConfigError: naming ``path.key`` for an unknown key, a wrong type, a
            missing required key, or a value the class rejects.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'config'}: expected a mapping, got {data!r}")
    hints = get_type_hints(cls)
    known = {f.name: f for f in fields(cls) if f.init}
    prefix = f"{path}." if path else ""
    for key in data:
        if key not in known:
            raise ConfigError(f"{prefix}{key}: unknown key; expected one of: {', '.join(known)}")
    kwargs = {key: _coerce(value, hints[key], f"{prefix}{key}") for key, value in data.items()}
    for name, f in known.items():
        if name not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{prefix}{name}: missing required key")
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{path or 'config'}: {err}") from None


_COMMON_OBJECTIVE_KEYS = ("source", "direction", "at_most", "at_least", "reference", "reference_quantile", "resources")


def _objective(name: str, data: Any) -> ObjectiveConfig:
    path = f"objectives.{name}"
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping, got {data!r}")
    source_name = data.get("source", "external")  # no source: the caller passes the evaluator
    if source_name not in SOURCES:
        raise ConfigError(f"{path}.source: expected one of {', '.join(map(repr, SOURCES))}, got {source_name!r}")
    source_cls = SOURCES[source_name]
    allowed = [f.name for f in fields(source_cls)]
    own = {k: v for k, v in data.items() if k not in _COMMON_OBJECTIVE_KEYS}
    for key in own:
        if key not in allowed:
            raise ConfigError(
                f"{path}.{key}: unknown key for source {source_name!r}; expected one of: "
                f"{', '.join([*_COMMON_OBJECTIVE_KEYS, *allowed])}"
            )
    common = {k: v for k, v in data.items() if k in _COMMON_OBJECTIVE_KEYS}
    common["source"] = build_dataclass(source_cls, own, path)
    return build_dataclass(ObjectiveConfig, {"name": name, **common}, path)


def from_dict(data: Any) -> Config:
    """Validates a raw configuration mapping into a :class:`Config`."""
    if not isinstance(data, dict):
        raise ConfigError(f"config: expected a mapping at the top level, got {data!r}")
    data = dict(data)
    raw_objectives = data.pop("objectives", None)
    config = build_dataclass(Config, data, "")
    if not isinstance(raw_objectives, dict) or not raw_objectives:
        raise ConfigError("objectives: expected a mapping of at least 2 objectives (name: {source, direction, ...})")
    objectives = tuple(_objective(str(name), spec) for name, spec in raw_objectives.items())
    config = dataclasses.replace(config, objectives=objectives)
    _check(config)
    return config


def _check(config: Config) -> None:
    s = config.search
    if not config.name or config.name in (".", "..") or "/" in config.name or "\\" in config.name:
        raise ConfigError(f"name: must be a single folder name (no '/' or '..'), got {config.name!r}")
    if len(config.objectives) < 2 and s.mode == "pareto":
        raise ConfigError("objectives: pareto mode needs at least 2 objectives")
    _check_objectives(config.objectives)
    _check_execution(config)
    for key in ("budget", "initial", "batch_size", "mc_samples", "rescore_candidates"):
        if getattr(s, key) < 1:
            raise ConfigError(f"search.{key}: must be at least 1, got {getattr(s, key)}")
    if s.threads is not None and s.threads < 1:
        raise ConfigError(f"search.threads: must be at least 1 (or null), got {s.threads}")
    for key in ("local_candidates", "random_candidates", "focus_every"):
        if getattr(s, key) < 0:
            raise ConfigError(f"search.{key}: must be at least 0, got {getattr(s, key)}")
    if s.outcome_floor < 0:
        raise ConfigError(f"search.outcome_floor: must be at least 0, got {s.outcome_floor}")
    if not 0.0 <= s.focus_quantile <= 1.0:
        raise ConfigError(f"search.focus_quantile: must lie in [0, 1], got {s.focus_quantile}")
    if s.local_candidates == 0 and s.random_candidates == 0 and not s.neighbour_candidates:
        raise ConfigError("search: local_candidates and random_candidates are 0 and neighbour_candidates is "
                          "false, so a BO step has no candidates")
    if s.initial > s.budget:
        raise ConfigError(f"search.initial: {s.initial} initial evaluations exceed search.budget={s.budget}")
    if s.initial < 2:
        raise ConfigError("search.initial: the GP needs at least 2 initial evaluations")
    for o in config.objectives:
        if not 0.0 <= o.reference_quantile <= 1.0:
            raise ConfigError(f"objectives.{o.name}.reference_quantile: must lie in [0, 1], got {o.reference_quantile}")
        if o.at_most is not None and o.at_least is not None and o.at_least > o.at_most:
            raise ConfigError(f"objectives.{o.name}: at_least={o.at_least} exceeds at_most={o.at_most}")
        try:
            o.source.check(o.name, config)
        except ValueError as err:
            raise ConfigError(str(err)) from None
    if s.mode == "reward":
        acc = config.accuracy_objective
        if acc is None or acc.direction != "maximize":
            raise ConfigError(
                "search.mode: reward mode needs one maximized accuracy objective (named 'accuracy', "
                "or the only maximized one)"
            )
        if not any(o.at_most is not None for o in config.objectives if o is not acc):
            raise ConfigError("search.mode: reward mode needs a target (at_most) on a minimized objective")


def _check_execution(config: Config) -> None:
    e = config.execution
    if e.timeout_s is not None and not (math.isfinite(e.timeout_s) and e.timeout_s > 0):
        raise ConfigError(f"execution.timeout_s: must be a positive number of seconds (or null), got {e.timeout_s}")
    if e.workers < 1:
        raise ConfigError(f"execution.workers: must be at least 1, got {e.workers}")
    if e.retries < 0:
        raise ConfigError(f"execution.retries: must be at least 0, got {e.retries}")
    if e.backend == "local":
        if e.workers > 1:
            raise ConfigError(f"execution.workers: the local backend runs one evaluation at a time, got {e.workers}; "
                              f"set execution.backend: ray to run several")
        if e.address is not None:
            raise ConfigError("execution.address: only the ray backend joins a cluster; set execution.backend: ray")
    for o in config.objectives:
        if o.resources is None:
            continue
        if e.backend != "ray":
            raise ConfigError(f"objectives.{o.name}.resources: only Ray workers offer resources; set "
                              f"execution.backend: ray")
        for name, amount in o.resources.items():
            if not (math.isfinite(amount) and amount > 0):
                raise ConfigError(f"objectives.{o.name}.resources.{name}: must be a positive amount, got {amount}")


def _check_objectives(objectives: tuple[ObjectiveConfig, ...]) -> None:
    """Bounds and references finite and on the side their objective is judged by; no table
    column read by two objectives."""
    for o in objectives:
        path = f"objectives.{o.name}"
        for key in ("at_most", "at_least", "reference"):
            value = getattr(o, key)
            if value is not None and not math.isfinite(value):
                raise ConfigError(f"{path}.{key}: must be a finite number, got {value}")
        wrong = "at_most" if o.direction == "maximize" else "at_least"
        if getattr(o, wrong) is not None:
            right = "at_least" if o.direction == "maximize" else "at_most"
            raise ConfigError(f"{path}.{wrong}: a {o.direction}d objective is bounded with {right} "
                              f"(its worst acceptable value)")
    seen: dict[tuple[str, str], str] = {}
    for o in objectives:
        column = getattr(o.source, "column", None)
        if column is not None:
            other = seen.setdefault((o.source.name, column), o.name)
            if other != o.name:
                raise ConfigError(f"objectives.{o.name}.column: {column!r} is read by objective {other!r} too")


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Applies ``dotted.key=value`` overrides (values parsed as YAML) to a raw mapping.

    Raises:
        ConfigError: for an override that is not ``key=value`` or that goes
            through a key holding a non-mapping value.
    """
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected dotted.key=value")
        parts = key.strip().split(".")
        node = data
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"--set {item!r}: {'.'.join(parts[: depth + 1])} is not a mapping")
            node = child
        try:
            node[parts[-1]] = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError as err:
            reason = str(err).splitlines()[0]
            raise ConfigError(f"--set {item!r}: the value is not valid YAML ({reason})") from None
    return data


def load(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Reads a YAML config file, applies overrides, validates."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {str(path)!r} is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {str(path)!r}: expected a mapping at the top level")
    return from_dict(apply_overrides(absolute_paths(data, path.parent), overrides or []))


def absolute_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """A raw config's relative data paths (``table.path``, ``gvae.checkpoint``, an objective's
    ``path`` and ``model``, a dataset's ``image_folder``) made absolute against ``base``: a
    config file's folder (``--set`` values stay relative to the working directory, like every
    command-line path), or the working directory for a run's saved copy."""
    def absolute(node: Any, key: str) -> None:
        if isinstance(node, dict) and isinstance(node.get(key), str) and node[key] and not Path(node[key]).is_absolute():
            node[key] = str((base / node[key]).resolve())

    absolute(data.get("table"), "path")
    absolute(data.get("gvae"), "checkpoint")
    objectives = data.get("objectives")
    for spec in objectives.values() if isinstance(objectives, dict) else []:
        for key in ("path", "model"):
            absolute(spec, key)
        absolute(spec.get("dataset") if isinstance(spec, dict) else None, "image_folder")
    return data


def to_dict(config: Config) -> dict[str, Any]:
    """The resolved configuration as a plain mapping (what ``config.yaml`` of a run holds)."""
    data = dataclasses.asdict(config)
    objectives = {}
    for o in config.objectives:
        spec = {k: getattr(o, k) for k in _COMMON_OBJECTIVE_KEYS if k != "source"}
        objectives[o.name] = {"source": o.source.name, **spec, **dataclasses.asdict(o.source)}
    data["objectives"] = objectives
    return data
