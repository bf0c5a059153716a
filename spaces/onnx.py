"""Built networks as ONNX, and onnxruntime sessions to run them (the ``onnx`` extra)."""

from __future__ import annotations

import io
import warnings
from typing import Any

import torch
from torch import nn


def to_onnx(model: nn.Module, input_shape: tuple[int, ...], opset: int = 17) -> bytes:
    """Exports ``model`` (in eval mode) for a fixed input shape.

    Args:
        model: the network.
        input_shape: the input shape, batch included (``1 x C x H x W``).
        opset: the ONNX opset.

    Returns:
        The ONNX model as bytes; its input is called ``images`` and its outputs
        ``output0``, ``output1``, ... in the order the network returns them.
    """
    model.eval()
    example = torch.zeros(input_shape)
    with torch.no_grad():
        out = model(example)
    n_out = len(out) if isinstance(out, (list, tuple)) else 1
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # the TorchScript exporter needs no onnxscript; torch marks it deprecated
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example,),
            buf,
            dynamo=False,
            opset_version=opset,
            input_names=["images"],
            output_names=[f"output{i}" for i in range(n_out)],
        )
    return buf.getvalue()


def onnx_session(model_bytes: bytes, threads: int | None = None) -> Any:
    """An onnxruntime CPU ``InferenceSession`` (``threads`` intra-op threads; default: onnxruntime's)."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise ValueError("onnxruntime is not installed; install the extra: pip install -e '.[onnx]'") from None
    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
