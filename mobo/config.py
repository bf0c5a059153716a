"""The search configuration: YAML validated once, at the edge, into typed objects.

Every error names the key path (``objectives.latency.at_most``) and what was
expected. ``--set dotted.key=value`` overrides are applied to the raw mapping
before validation, so they are checked the same way.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import yaml

from gvae.train import TrainConfig
from mobo.objectives.options import SOURCE_OPTIONS, SourceOptions
from spaces import SPACES


class ConfigError(ValueError):
    """A configuration error; the message starts with the offending key path."""


Direction = Literal["maximize", "minimize"]
Acquisition = Literal["qlognehvi", "qlogehvi_measured", "ehvi_measured", "qlogparego", "random"]
Mode = Literal["pareto", "reward"]
SurrogateInputs = Literal["latent", "latent_one_hot", "one_hot_paths", "per_objective"]
BelowReference = Literal["clip", "log"]
FocusBelowReference = Literal["raw", "log"]
QualityProxy = Literal["auto", "synflow", "naswot", "none"]


@dataclass(frozen=True)
class SpaceConfig:
    """``space``: which search space, and the options of its network builder."""

    name: str = "nb201"
    network: dict[str, int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class GVAESettings(TrainConfig):
    """``gvae``: a checkpoint to load, or the training settings of one (see
    ``gvae.train.TrainConfig``); a trained model is cached under
    ``<output_root>/.cache/gvae`` keyed by space and settings."""

    checkpoint: str | None = None


@dataclass(frozen=True)
class TableConfig:
    """``table``: the benchmark table (CSV with an ``arch`` column) the ``table`` source reads."""

    path: str | None = None


@dataclass(frozen=True)
class ObjectiveConfig:
    """One objective (``objectives.<name>``).

    Attributes:
        name: the objective's name (its key under ``objectives``).
        source: where values come from (``table``, ``measured_latency``,
            ``train``, ``params``, ``flops``).
        direction: ``maximize`` or ``minimize``.
        at_most: constraint ``value <= at_most`` (a target in reward mode).
        at_least: constraint ``value >= at_least``.
        reference: hypervolume reference value; when not given, the
            constraint bound if any, else the ``reference_quantile`` of the
            initial design.
        reference_quantile: where the inferred reference sits in the initial
            design, as the share of it that is worse (0.5: the median; 0.75:
            better than three quarters, in the objective's own direction).
        options: the source's own settings.
    """

    name: str
    source: str
    direction: Direction
    at_most: float | None = None
    at_least: float | None = None
    reference: float | None = None
    reference_quantile: float = 0.5
    options: SourceOptions | None = None

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
    """``search``: the loop.

    Attributes:
        budget: total evaluations, the initial design included.
        initial: architectures sampled uniformly before the first BO step;
            by default a fifth of the budget, at least 10 (``max(10, budget // 5)``).
            The initial design also sets the inferred reference point, and 20
            cells at budget 100 instead of 10 raised the NB201 device
            benchmark's mean ROI hypervolume ratio and made the 3-objective
            problem's runs reach its front in 8 of 10 seeds instead of 5
            (BENCHMARKS.md, tenth round).
        batch_size: candidates ``q`` proposed per BO iteration. The loop
            evaluates them one after another, so a batch buys no parallelism,
            only fewer GP fits; 2 instead of 4 traded problems on the NB201
            device benchmark (BENCHMARKS.md), so the default stays 4.
        mode: ``pareto`` (multi-objective BO) or ``reward`` (single scalar reward).
        acquisition: ``qlogehvi_measured``, ``ehvi_measured``, ``qlognehvi``,
            ``qlogparego`` or ``random`` (pareto mode). ``qlogehvi_measured`` (the default) scores a
            candidate by the expected hypervolume it adds to the *measured* front,
            its outcomes drawn as a new measurement (the GP's noise included):
            the front keeps what an evaluation measured, so among architectures
            the GP cannot tell apart (NB201 strings that compute one function,
            whose trained accuracies differ by the training noise) the chance of
            a better measurement is worth an evaluation. ``qlognehvi`` scores the
            GP's noise-free function against its own smoothed front, the design
            before. On the NB201 device benchmark the two are level on the
            2-objective problems once focus steps fit log-compressed outcomes (that
            change carries the eleventh round's gain there), and the measured
            acquisition reaches the 3-objective problem's front in 8 of 10 runs
            against 5, at about 1.2 s more per BO step (BENCHMARKS.md, eleventh and
            twelfth rounds).
            ``ehvi_measured`` scores the same quantity exactly (BoTorch's analytic
            expected hypervolume improvement of one new measurement, independent
            outcomes, times the chance of meeting each ``at_most`` / ``at_least``);
            a batch's later picks count the earlier ones as measured at their
            posterior means. On the NB201 device benchmark it was level with the
            default (problems 1 and 2, 20 pairs at q = 4 and 20 at q = 1): the
            default's 32 quasi-MC draws already pick the exact EHVI's best
            candidate in 34 of 40 steps of two runs (BENCHMARKS.md, eighteenth round).
        local_candidates: per BO step, latent perturbations decoded around each
            observed Pareto architecture at each trust-region scale.
        random_candidates: per BO step, uniform samples of the space added to the candidates.
        neighbour_candidates: per BO step, every architecture one choice away
            from an observed Pareto architecture (the best by reward in reward
            mode) joins the candidates.
        surrogate_inputs: what the GP sees of an architecture: its latent code
            (``latent``), the latent code and the one-hot encoding of its
            choices (``latent_one_hot``; the space's ``one_hot``), or the one-hot
            choices and the path encoding of what it computes (``one_hot_paths``;
            the space's ``path_encoding``), or separate inputs per objective
            (``per_objective``): a maximized objective (a quality such as
            accuracy, a property of what the network computes) sees the live
            one-hot choices (``live_one_hot``: dead choices set to their no-op)
            and the path encoding, which strings differing only in dead choices
            share; a minimized one (a cost such as latency or energy, a property
            of the string as it runs: dead ops still run on some devices, others'
            compilers drop them) sees the one-hot and the live one-hot choices.
            With the last three the latent space only proposes candidates.
            ``per_objective`` is the default: on the NB201 device benchmark it
            raised the median ROI hypervolume ratio of the 3-objective problem
            from 0.06 to 0.74 and led every peer on all six problems, though it
            lowered two of them (BENCHMARKS.md); ``latent`` is the design before.
        quality_proxy: ``synflow``: under ``per_objective`` inputs, a maximized
            objective's GP also sees a training-free proxy of the architecture's
            accuracy, ``log10(1 + SynFlow)`` of its untrained network (the space's
            small ``proxy_network`` copy, scored once per architecture string and
            cached under the output root, :mod:`mobo.proxy_inputs`); ``none``: not;
            ``auto`` (resolved when the config is read): ``synflow`` under
            ``per_objective`` inputs in pareto mode on a space with a measured small
            proxy network (NB201), else ``none``. ``none`` is the default: on the
            NB201 device benchmark the proxy raised the mean ROI hypervolume ratio of
            the five 2-objective problems by 0.06 over 50 paired runs (problem 4 in
            10 of 10 pairs) but lowered the 3-objective problem's median from 0.94
            to 0.48: the cell that holds most of that front has a low SynFlow
            (BENCHMARKS.md, thirteenth round). A first run on a machine scores
            about 23 ms per new candidate on one core (NB201); later runs read the cache.
            ``naswot``: the same with NASWOT (``log |det K|`` of the activations'
            on/off codes on 64 digits images, about 40 ms a cell): it ranks problem
            6's decisive cell high, but lowered that problem too, and raised the
            2-objective problems less than SynFlow (BENCHMARKS.md, fourteenth round).
        quality_proxy_steps: which BO steps' GPs see the proxy: ``all``, the focus
            steps of ``focus_every`` only (``focus``), or the other steps only
            (``ordinary``; it lowered the 3-objective problem as much).
        quality_proxy_as: how a quality GP uses the proxy: as one more kernel
            input (``input``), or as a prior mean linear in the proxy, with the
            kernel on the structure alone (``mean``), so that a cell the proxy
            underrates still rises with its evaluated neighbours. On the NB201
            device benchmark NASWOT as the mean came closest to a gain without a
            loss (60 pairs: +0.033 on the 2-objective problems, -0.039 on the
            3-objective one, neither beyond the seed noise); SynFlow as the mean
            lost the 3-objective problem's front in 6 of 6 screened seeds
            (BENCHMARKS.md, fifteenth round).
        outcome_floor: for the GP fit only (per objective, pareto mode), the
            scale ``s = outcome_floor * (best - reference)`` of the values below
            the reference; ``null`` fits the raw values.
        below_reference: what the fit sees of a value ``y`` below the
            reference ``r``: ``clip`` raises values lower than ``r - s`` to
            ``r - s``; ``log`` compresses every value below ``r`` to
            ``r - s * log(1 + (r - y) / s)``, which keeps their order (a broken
            cell stays below a mediocre one) but not their outlier scale. On the
            NB201 device benchmark ``log`` lowered two problems and tied the
            third (BENCHMARKS.md), so ``clip`` is the default.
        focus_every: every ``focus_every``-th BO step (0: none) aims at the
            accurate corner of the front: each maximized objective whose
            reference is inferred takes the ``focus_quantile`` of the initial
            design as its reference (when higher than its own
            ``reference_quantile``), and the GP sees the values below it as
            ``focus_below_reference`` says. The other steps keep the whole front's
            reference.
            2 is the default: on the NB201 device benchmark it raised the median
            ROI hypervolume ratio on five of six problems (problem 3 from 0.48 to
            0.85) and lowered the 3-objective one (0.74 to 0.69) with as many
            runs reaching its front; over the 60 runs the mean gain is small
            (BENCHMARKS.md, ninth round).
        focus_quantile: the maximized objectives' reference quantile on a focus step.
        focus_below_reference: what a focus step's fit sees of the values below its
            reference: ``log`` compresses them as ``below_reference: log`` does (scale
            ``outcome_floor``), ``raw`` fits them as they are. Raw outcomes let a few
            broken cells (10 % accuracy on NB201) inflate the accuracy GP's noise
            tenfold early in a run (1.6 points against 0.1), and the default
            acquisition draws new measurements with that noise; ``log`` is the
            default (BENCHMARKS.md, eleventh round).
        num_restarts, raw_samples: ``optimize_acqf`` settings for maximizing the
            acquisition in the latent box; its decoded optima join the candidates.
            0 restarts (the default) skips it: on NB201 it lowered the ROI
            hypervolume (BENCHMARKS.md).
        mc_samples: quasi-MC samples of the acquisition function.
        rescore_candidates: each pick of a batch after the first is chosen, with
            the earlier picks pending, among this many candidates: those whose
            acquisition value alone is highest (``null``: all of them; not used by
            ``qlogparego``, whose picks have different weights). In expectation a
            point adds to a set at most what it adds alone, and the joint posteriors
            over a candidate and the earlier picks cost most of a BO step: on NB201
            (problem 1, 3 runs, 60 steps) 256 gave the picks of rescoring all
            920-1,700 candidates in every step, and cut a step at 100
            observations from 3.0 s to 1.3 s on one thread (with BoTorch's
            compiled qLogEHVI kernel, which the search no longer uses: 1.7 s
            without; BENCHMARKS.md, sixteenth round).
        threads: torch threads of the run (GP fits, acquisition, graph-VAE
            passes, training objectives); an objective that sets its own
            ``threads`` (latency timing; training when set) keeps it. torch
            orders its float sums by the thread count and a BO run amplifies a
            last-bit difference into other picks, so a fixed count makes a seed
            give the same run on every machine; ``1`` (the default) is the count
            every benchmark run was measured with. ``null`` uses torch's default
            (faster on many cores, reproducible on that machine only): on 2
            cores a BO step at 100 observations took 4.4 s against 5.5 s.
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
    surrogate_inputs: SurrogateInputs = "per_objective"
    quality_proxy: QualityProxy = "none"
    quality_proxy_steps: Literal["all", "focus", "ordinary"] = "all"
    quality_proxy_as: Literal["input", "mean"] = "input"
    outcome_floor: float | None = 0.5
    below_reference: BelowReference = "clip"
    focus_every: int = 2
    focus_quantile: float = 0.75
    focus_below_reference: FocusBelowReference = "log"
    num_restarts: int = 0
    raw_samples: int = 128
    mc_samples: int = 32
    rescore_candidates: int | None = 256
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


_COMMON_OBJECTIVE_KEYS = ("source", "direction", "at_most", "at_least", "reference", "reference_quantile")


def _objective(name: str, data: Any) -> ObjectiveConfig:
    path = f"objectives.{name}"
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping, got {data!r}")
    source = data.get("source")
    if source not in SOURCE_OPTIONS:
        raise ConfigError(f"{path}.source: expected one of {', '.join(map(repr, SOURCE_OPTIONS))}, got {source!r}")
    common = {k: v for k, v in data.items() if k in _COMMON_OBJECTIVE_KEYS}
    own = {k: v for k, v in data.items() if k not in _COMMON_OBJECTIVE_KEYS}
    options_cls = SOURCE_OPTIONS[source]
    allowed = [f.name for f in fields(options_cls)]
    for key in own:
        if key not in allowed:
            raise ConfigError(
                f"{path}.{key}: unknown key for source {source!r}; expected one of: "
                f"{', '.join([*_COMMON_OBJECTIVE_KEYS, *allowed])}"
            )
    options = build_dataclass(options_cls, own, path)
    objective = build_dataclass(ObjectiveConfig, {"name": name, **common}, path)
    return dataclasses.replace(objective, options=options)


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
    return _resolve_quality_proxy(config)


def _resolve_quality_proxy(config: Config) -> Config:
    """``search.quality_proxy: auto`` made explicit (the resolved config says which): ``synflow``
    under ``per_objective`` inputs in pareto mode on a space with a measured small proxy network
    (:attr:`spaces.SearchSpace.proxy_network`), else ``none``."""
    s = config.search
    if s.quality_proxy != "auto":
        return config
    space = SPACES.get(config.space.name)
    on = (space is not None and space.proxy_network is not None and s.surrogate_inputs == "per_objective"
          and s.mode == "pareto")
    return dataclasses.replace(config, search=dataclasses.replace(s, quality_proxy="synflow" if on else "none"))


def _check(config: Config) -> None:
    s = config.search
    if len(config.objectives) < 2 and s.mode == "pareto":
        raise ConfigError("objectives: pareto mode needs at least 2 objectives")
    for key in ("budget", "initial", "batch_size", "raw_samples", "mc_samples"):
        if getattr(s, key) < 1:
            raise ConfigError(f"search.{key}: must be at least 1, got {getattr(s, key)}")
    for key in ("threads", "rescore_candidates"):
        if getattr(s, key) is not None and getattr(s, key) < 1:
            raise ConfigError(f"search.{key}: must be at least 1 (or null), got {getattr(s, key)}")
    for key in ("local_candidates", "random_candidates", "num_restarts", "focus_every"):
        if getattr(s, key) < 0:
            raise ConfigError(f"search.{key}: must be at least 0, got {getattr(s, key)}")
    if s.outcome_floor is not None and s.outcome_floor < 0:
        raise ConfigError(f"search.outcome_floor: must be at least 0 (or null), got {s.outcome_floor}")
    if not 0.0 <= s.focus_quantile <= 1.0:
        raise ConfigError(f"search.focus_quantile: must lie in [0, 1], got {s.focus_quantile}")
    if s.local_candidates == 0 and s.random_candidates == 0 and s.num_restarts == 0 and not s.neighbour_candidates:
        raise ConfigError("search: local_candidates, random_candidates and num_restarts are all 0 and "
                          "neighbour_candidates is false, so a BO step has no candidates")
    if s.num_restarts > 0 and s.surrogate_inputs != "latent":
        raise ConfigError(f"search.num_restarts: the latent optimizer needs search.surrogate_inputs: latent, "
                          f"not {s.surrogate_inputs!r}")
    if s.quality_proxy not in ("none", "auto") and s.surrogate_inputs != "per_objective":
        raise ConfigError(f"search.quality_proxy: a proxy input needs search.surrogate_inputs: per_objective, "
                          f"not {s.surrogate_inputs!r}")
    if s.initial > s.budget:
        raise ConfigError(f"search.initial: {s.initial} initial evaluations exceed search.budget={s.budget}")
    if s.initial < 2:
        raise ConfigError("search.initial: the GP needs at least 2 initial evaluations")
    for o in config.objectives:
        if not 0.0 <= o.reference_quantile <= 1.0:
            raise ConfigError(f"objectives.{o.name}.reference_quantile: must lie in [0, 1], got {o.reference_quantile}")
        if o.at_most is not None and o.at_least is not None and o.at_least > o.at_most:
            raise ConfigError(f"objectives.{o.name}: at_least={o.at_least} exceeds at_most={o.at_most}")
        if o.source == "proxy" and "proxy" not in o.name.lower():
            raise ConfigError(
                f"objectives.{o.name}: a proxy is not an accuracy; name the objective so every output labels it "
                f"(e.g. '{o.name}_proxy')"
            )
        if o.source == "table" and not config.table.path:
            raise ConfigError(f"table.path: objective {o.name!r} reads the table, but no table.path is set")
    if s.mode == "reward":
        acc = config.accuracy_objective
        if acc is None or acc.direction != "maximize":
            raise ConfigError(
                "search.mode: reward mode needs one maximized accuracy objective (named 'accuracy', "
                "or the only maximized one)"
            )
        if not any(o.at_most is not None for o in config.objectives if o is not acc):
            raise ConfigError("search.mode: reward mode needs a target (at_most) on a minimized objective")
    g = config.gvae
    for key in ("epochs", "latent_dim", "hidden_dim", "num_layers", "batch_size", "max_archs"):
        if getattr(g, key) < 1:
            raise ConfigError(f"gvae.{key}: must be at least 1, got {getattr(g, key)}")
    if not 0.0 <= g.test_fraction < 1.0:
        raise ConfigError(f"gvae.test_fraction: must be in [0, 1), got {g.test_fraction}")


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
        node[parts[-1]] = yaml.safe_load(raw) if raw.strip() else None
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
    return from_dict(apply_overrides(data, overrides or []))


def to_dict(config: Config) -> dict[str, Any]:
    """The resolved configuration as a plain mapping (what ``config.yaml`` of a run holds)."""
    data = dataclasses.asdict(config)
    objectives = {}
    for o in config.objectives:
        spec = {k: getattr(o, k) for k in _COMMON_OBJECTIVE_KEYS}
        if o.options is not None:
            spec.update(dataclasses.asdict(o.options))
        objectives[o.name] = spec
    data["objectives"] = objectives
    return data
