"""YOLOv7-style model YAML for architectures of the YOLO space, and back.

The YAML has YOLOv7's layout (``nc``, ``depth_multiple``, ``width_multiple``,
``anchors``, and ``backbone:`` / ``head:`` lists of ``[from, number, module,
args]``; ``from`` is ``-1`` for the previous layer, a negative offset nearby,
an absolute index far away, or a list). Reading it back rebuilds the layer
list, finds the ELAN depths from its graph and checks every layer, so a
hand-edited file that is not a network of the space is refused with the layer
that differs.
"""

from __future__ import annotations

from typing import Any

import yaml

from spaces.yolo.layers import ANCHORS, Layer, yolo_layers
from spaces.yolo.space import YoloArch, YoloSpace, layers_to_graph

NEAR = 8  # sources at most this many layers back are written as negative offsets
MODULES = {"Conv", "MP", "SP", "Concat", "nn.Upsample", "SPPCSPC", "Detect"}


def _from(index: int, sources: tuple[int, ...]) -> int | list[int]:
    refs = [s - index if s < 0 or index - s <= NEAR else s for s in sources]
    return refs[0] if len(refs) == 1 else refs


def _row(layer: Layer, index: int, base: str) -> list[Any]:
    m, a = layer.module, list(layer.args)
    if m == "Conv" and base == "yolov7-tiny":
        a = [*a, None, 1, "nn.LeakyReLU(0.1)"]
    elif m == "Concat":
        a = [1]
    elif m == "Upsample":
        m, a = "nn.Upsample", [None, 2, "nearest"]
    elif m == "Detect":
        a = [a[0], "anchors"]
    return [_from(index, layer.sources), 1, m, a]


def to_yaml(space: YoloSpace, arch: YoloArch) -> str:
    """The model YAML of ``arch``."""
    built = yolo_layers(space.base, tuple(arch), space.network.num_classes)
    rows = [_row(layer, i, space.base) for i, layer in enumerate(built.layers)]
    doc = {
        "nc": space.network.num_classes,
        "depth_multiple": 1.0,
        "width_multiple": 1.0,
        "anchors": [list(a) for a in ANCHORS[space.base]],
        "latentnas": {"space": "yolo", "base": space.base, "arch": space.format(arch)},
    }
    lines = [f"# {space.format(arch)}: YOLOv7-style model YAML written by LatentNAS (ELAN depths d1..d8)"]
    lines.append(yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=120).rstrip())
    for key, start, end in (("backbone", 0, built.backbone_end), ("head", built.backbone_end, len(rows))):
        lines.append(f"{key}:")
        for i in range(start, end):
            flow = yaml.safe_dump(rows[i], default_flow_style=True, width=1000).strip()
            lines.append(f"  - {flow}  # {i}")
    return "\n".join(lines) + "\n"


def _layer(row: Any, index: int) -> Layer:
    where = f"layer {index}"
    if not isinstance(row, list) or len(row) != 4:
        raise ValueError(f"{where}: expected [from, number, module, args], got {row!r}")
    src, number, module, args = row
    if module not in MODULES:
        raise ValueError(f"{where}: unknown module {module!r}; known: {', '.join(sorted(MODULES))}")
    if number != 1:
        raise ValueError(f"{where}: number must be 1 (depth is set by the ELAN blocks), got {number!r}")
    refs = src if isinstance(src, list) else [src]
    if not refs or not all(isinstance(r, int) and not isinstance(r, bool) for r in refs):
        raise ValueError(f"{where}: 'from' must be an integer or a list of integers, got {src!r}")
    sources = tuple(index + r if r < 0 else r for r in refs)
    if any(s >= index or s < -1 for s in sources):
        raise ValueError(f"{where}: 'from' {src!r} does not point to an earlier layer")
    if not isinstance(args, list):
        raise ValueError(f"{where}: args must be a list, got {args!r}")
    try:
        if module == "Conv":
            return Layer(sources, "Conv", (int(args[0]), int(args[1]), int(args[2])))
        if module == "SP":
            return Layer(sources, "SP", (int(args[0]),))
        if module in ("SPPCSPC", "Detect"):
            return Layer(sources, module, (int(args[0]),))
    except (IndexError, TypeError, ValueError):
        raise ValueError(f"{where}: bad args {args!r} for {module}") from None
    return Layer(sources, "Upsample" if module == "nn.Upsample" else module, ())


def from_yaml(space: YoloSpace, text: str) -> YoloArch:
    """Reads a model YAML written by :func:`to_yaml` (or by hand) back into an architecture.

    Raises:
        ValueError: naming the key or layer that is wrong, or the first layer
            that differs from the network of the depths found.
    """
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ValueError(f"model YAML is not valid YAML: {err}") from None
    if not isinstance(doc, dict):
        raise ValueError("model YAML: expected a mapping at the top level")
    for key in ("backbone", "head"):
        if not isinstance(doc.get(key), list):
            raise ValueError(f"model YAML: '{key}' must be a list of [from, number, module, args]")
    meta = doc.get("latentnas") or {}
    if meta.get("base", space.base) != space.base:
        raise ValueError(f"model YAML: latentnas.base is {meta['base']!r}, but this space's base is {space.base!r}")
    if doc.get("nc", space.network.num_classes) != space.network.num_classes:
        raise ValueError(f"model YAML: nc is {doc['nc']!r}, but the space has num_classes={space.network.num_classes}")
    for key in ("depth_multiple", "width_multiple"):
        if doc.get(key, 1.0) != 1.0:
            raise ValueError(f"model YAML: {key} must be 1.0 (the space scales by ELAN depth), got {doc[key]!r}")
    rows = doc["backbone"] + doc["head"]
    layers = [_layer(row, i) for i, row in enumerate(rows)]
    arch = space.from_graph(layers_to_graph(layers))
    expected = space.layers(arch)
    for i, (got, want) in enumerate(zip(layers, expected)):
        if got != want:
            raise ValueError(f"model YAML: layer {i} is {got.module} {list(got.args)} from {list(got.sources)}; "
                             f"{space.format(arch)} has {want.module} {list(want.args)} from {list(want.sources)}")
    return arch
