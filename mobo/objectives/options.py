"""Settings of each objective source, as they appear under ``objectives.<name>``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class TableOptions:
    """``source: table``: one column of the benchmark table (``table.path``)."""

    column: str


@dataclass(frozen=True)
class MeasuredLatencyOptions:
    """``source: measured_latency``: time the built network on this host (ms).

    Attributes:
        batch_size: images per forward pass.
        image_size: input height/width (px); default: the space's network option.
        threads: torch intra-op threads while timing.
        warmup: untimed forward passes first.
        repeats: timed forward passes; the median is reported.
        runtime: ``torch`` (eager PyTorch) or ``onnxruntime`` (the exported
            ONNX model on onnxruntime's CPU provider; needs the ``onnx`` extra).
    """

    batch_size: int = 1
    image_size: int | None = None
    threads: int = 1
    warmup: int = 3
    repeats: int = 15
    runtime: Literal["torch", "onnxruntime"] = "torch"

    def __post_init__(self) -> None:
        for key in ("batch_size", "threads", "repeats"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key} must be at least 1, got {getattr(self, key)}")
        if self.warmup < 0:
            raise ValueError(f"warmup must be at least 0, got {self.warmup}")


@dataclass(frozen=True)
class TrainOptions:
    """``source: train``: short real training; returns held-out accuracy (%).

    Attributes:
        dataset: a dataset shipped with an installed package (``digits``:
            scikit-learn's 8x8 handwritten digits, 1,797 images, 10 classes).
        epochs: passes over the training split.
        batch_size: images per SGD step.
        lr: peak learning rate (SGD, momentum 0.9, cosine schedule).
        weight_decay: L2 penalty.
        test_fraction: held-out share (fixed, stratified split).
        threads: torch intra-op threads while training (default: the search's, ``search.threads``).
    """

    dataset: str = "digits"
    epochs: int = 4
    batch_size: int = 64
    lr: float = 0.05
    weight_decay: float = 5e-4
    test_fraction: float = 0.25
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be at least 1")
        if not 0.0 < self.test_fraction < 1.0:
            raise ValueError(f"test_fraction must be in (0, 1), got {self.test_fraction}")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")


@dataclass(frozen=True)
class LUTOptions:
    """``source: lut``: a lookup-table prediction (see ``spaces.lut``), in the table's unit.

    Attributes:
        path: the table file (per-layer entries built by ``python -m
            spaces.lut build``, a user's energy table in the same format, or
            TANGO's YOLOv7 block table).
        calibrated: apply the table's calibration when it has one.
    """

    path: str
    calibrated: bool = True


@dataclass(frozen=True)
class ProxyOptions:
    """``source: proxy``: a training-free score of the untrained network (maximize).

    A proxy is not an accuracy: the objective's name must contain ``proxy``,
    so every column, plot and report labels it as one.

    Attributes:
        kind: ``synflow`` (log10 of SynFlow, Tanaka et al. 2020: the sum over
            parameters of ``|theta * dR/dtheta|`` for ``R`` = the sum of the
            outputs of the network with absolute weights on an all-ones input),
            or ``naswot`` (Mellor et al. 2021: ``log |det K|`` of the activations'
            on/off codes of 64 digits images, :func:`mobo.objectives.proxy.naswot`).
        image_size: input height/width for the score (px); default: the space's.
    """

    kind: Literal["synflow", "naswot"] = "synflow"
    image_size: int | None = None


@dataclass(frozen=True)
class CallableOptions:
    """``source: callable``: a user function ``module:function``, called as
    ``function(arch, model) -> float`` with the space's architecture object and
    its built, untrained ``torch.nn.Module`` (see ``examples/``).

    Attributes:
        function: ``package.module:function`` (importable from the working directory).
    """

    function: str

    def __post_init__(self) -> None:
        module, sep, name = self.function.partition(":")
        if not sep or not module or not name.isidentifier():
            raise ValueError(f"function must be 'module:function', got {self.function!r}")


@dataclass(frozen=True)
class NoOptions:
    """``source: params`` (millions of parameters) or ``source: flops`` (MFLOPs): no settings."""


SourceOptions = (
    TableOptions | MeasuredLatencyOptions | TrainOptions | LUTOptions | ProxyOptions | CallableOptions | NoOptions
)

SOURCE_OPTIONS: dict[str, type] = {
    "table": TableOptions,
    "measured_latency": MeasuredLatencyOptions,
    "train": TrainOptions,
    "lut": LUTOptions,
    "proxy": ProxyOptions,
    "callable": CallableOptions,
    "params": NoOptions,
    "flops": NoOptions,
}
