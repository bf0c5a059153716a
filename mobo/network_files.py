"""The Pareto networks as files: YOLOv7 model YAML (YOLO space) and ONNX (any space), with a
manifest that says which architecture and objectives each file holds, and that its weights
are untrained."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spaces.io import atomic_write_bytes, atomic_write_csv, atomic_write_text
from spaces import SearchSpace
from spaces.onnx import to_onnx
from spaces.yolo import YoloSpace
from spaces.yolo.model_yaml import to_yaml

NETWORK_FORMATS = ("yaml", "onnx")
MANIFEST = "manifest.csv"
# every exported network is built afresh from its architecture: no evaluator hands back weights
UNTRAINED = "untrained (random initial weights: train before deploying)"


def file_stem(index: int, arch: str) -> str:
    """A file name for the architecture evaluated ``index``-th: the index and a short hash of
    its string (unique, and short whatever the space's strings)."""
    return f"{index:04d}_{hashlib.sha1(arch.encode()).hexdigest()[:8]}"


def with_metadata(model: bytes, properties: Mapping[str, str]) -> bytes:
    """The ONNX model with ``properties`` added to its ``metadata_props`` (needs the ``onnx``
    package; without it the model is returned as it is and the manifest alone explains it)."""
    try:
        import onnx
    except ImportError:
        return model
    proto = onnx.load_from_string(model)
    for key, value in properties.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    return proto.SerializeToString()


def write_networks(space: SearchSpace, front: Sequence[Mapping[str, Any]], objectives: Sequence[str], fmt: str,
                   out_dir: Path) -> list[Path]:
    """Writes one ``fmt`` file per Pareto row into ``out_dir`` and rewrites ``manifest.csv``.

    Args:
        space: the run's space.
        front: the Pareto rows (``index``, ``arch`` and each objective's value).
        objectives: the objective names, in the order the manifest lists them.
        fmt: ``yaml`` or ``onnx``; an ONNX file carries ``latentnas.arch``,
            ``latentnas.objectives`` (JSON) and ``latentnas.weights`` metadata.
        out_dir: the folder (created if needed).

    Returns:
        The files written, the manifest last.

    Raises:
        ValueError: for an unknown format, or ``yaml`` outside the YOLO space
            (cell networks have no YOLO model YAML; their string is their file).
    """
    if fmt not in NETWORK_FORMATS:
        raise ValueError(f"unknown network format {fmt!r}; known: {', '.join(NETWORK_FORMATS)}")
    if fmt == "yaml" and not isinstance(space, YoloSpace):
        raise ValueError(f"format 'yaml' writes YOLOv7 model YAML; space {space.name!r} has none (use onnx or arch)")
    out_dir.mkdir(parents=True, exist_ok=True)
    written, entries = [], []
    for row in front:
        text = str(row["arch"])
        arch = space.parse(text)
        values = {name: row[name] for name in objectives}
        path = out_dir / f"{file_stem(int(row['index']), text)}.{fmt}"
        if fmt == "yaml":
            assert isinstance(space, YoloSpace)
            atomic_write_text(path, f"# {text}\n# objectives: {json.dumps(values)}\n# weights: {UNTRAINED}\n"
                              + to_yaml(space, arch))
        else:
            model = to_onnx(space.build(arch), (1, *space.input_shape()))
            atomic_write_bytes(path, with_metadata(model, {"latentnas.arch": text, "latentnas.space": space.name,
                                                           "latentnas.objectives": json.dumps(values),
                                                           "latentnas.weights": UNTRAINED}))
        written.append(path)
        entries.append({"file": path.name, "format": fmt, "index": row["index"], "arch": text, **values,
                        "weights": UNTRAINED})
    return [*written, write_manifest(out_dir, entries, fmt, objectives)]


def write_manifest(out_dir: Path, entries: list[dict[str, Any]], fmt: str, objectives: Sequence[str]) -> Path:
    """Rewrites ``out_dir/manifest.csv``: these ``fmt`` entries, and the other formats' entries
    already listed whose files are still there."""
    path = out_dir / MANIFEST
    header = ["file", "format", "index", "arch", *objectives, "weights"]
    kept = []
    if path.is_file():
        with path.open(newline="") as f:
            kept = [r for r in csv.DictReader(f) if r.get("format") != fmt and (out_dir / r.get("file", "")).is_file()
                    and list(r) == header]
    atomic_write_csv(path, header, [[r[h] for h in header] for r in [*kept, *entries]])
    return path
