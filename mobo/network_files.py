"""The Pareto networks as files: YOLOv7 model YAML (YOLO space) and ONNX (any space)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from spaces.io import atomic_write_bytes, atomic_write_text
from spaces import SearchSpace
from spaces.onnx import to_onnx
from spaces.yolo import YoloSpace
from spaces.yolo.model_yaml import to_yaml

NETWORK_FORMATS = ("yaml", "onnx")


def file_stem(rank: int, arch: str) -> str:
    """A file name for the ``rank``-th Pareto architecture (its string, made file-safe)."""
    return f"{rank:02d}_" + re.sub(r"[^A-Za-z0-9.,=-]+", "_", arch).strip("_")[:80]


def write_networks(space: SearchSpace, archs: Sequence[str], fmt: str, out_dir: Path) -> list[Path]:
    """Writes one ``fmt`` file per architecture string into ``out_dir``.

    Raises:
        ValueError: for an unknown format, or ``yaml`` outside the YOLO space
            (cell networks have no YOLO model YAML; their string is their file).
    """
    if fmt not in NETWORK_FORMATS:
        raise ValueError(f"unknown network format {fmt!r}; known: {', '.join(NETWORK_FORMATS)}")
    if fmt == "yaml" and not isinstance(space, YoloSpace):
        raise ValueError(f"format 'yaml' writes YOLOv7 model YAML; space {space.name!r} has none (use onnx or arch)")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for rank, text in enumerate(archs):
        arch = space.parse(text)
        path = out_dir / f"{file_stem(rank, text)}.{fmt}"
        if fmt == "yaml":
            assert isinstance(space, YoloSpace)
            atomic_write_text(path, to_yaml(space, arch))
        else:
            atomic_write_bytes(path, to_onnx(space.build(arch), (1, *space.input_shape())))
        written.append(path)
    return written
