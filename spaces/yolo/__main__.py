"""Inspect one YOLO architecture.

Usage::

    python -m spaces.yolo describe --base yolov7 --depths 3,3,3,3,5,5,5,5 [--image-size 640]
        [--classes 80] [--yaml OUT.yaml] [--onnx OUT.onnx]

Prints parameters, FLOPs and the output shapes at the input size, and writes
the model YAML and/or the ONNX model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from spaces.io import atomic_write_bytes, atomic_write_text
from spaces.onnx import to_onnx
from spaces.yolo.layers import BASES, MAX_BACKBONE_DEPTH, MAX_HEAD_DEPTH
from spaces.yolo.model_yaml import to_yaml
from spaces.yolo.space import YoloSpace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spaces.yolo", description="Inspect one YOLO architecture.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("describe", help="params, FLOPs, output shapes; YAML / ONNX export")
    p.add_argument("--base", choices=BASES, default="yolov7")
    p.add_argument("--depths", required=True, help="8 comma-separated ELAN depths, e.g. 3,3,3,3,5,5,5,5")
    p.add_argument("--image-size", type=int, default=640)
    p.add_argument("--classes", type=int, default=80)
    p.add_argument("--yaml", type=Path, help="write the model YAML here")
    p.add_argument("--onnx", type=Path, help="write the ONNX model here")
    args = parser.parse_args(argv)
    try:
        # the full table ranges, so any depth the table covers can be described
        space = YoloSpace(
            base=args.base, image_size=args.image_size, num_classes=args.classes,
            backbone_max_depth=MAX_BACKBONE_DEPTH, head_max_depth=MAX_HEAD_DEPTH,
        )
        arch = space.parse(f"{args.base}:{args.depths}")
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    model = space.build(arch).eval()
    shape = (1, *space.input_shape())
    with torch.no_grad():
        outputs = model(torch.zeros(shape))
    print(f"arch: {space.format(arch)}")
    print(f"layers: {len(space.layers(arch))}")
    print(f"params: {space.params(arch) / 1e6:.3f} M")
    print(f"FLOPs: {space.flops(arch) / 1e9:.2f} G at {args.image_size}x{args.image_size}")
    for stride, out in zip((8, 16, 32), outputs):
        print(f"output stride {stride}: {' x '.join(str(s) for s in out.shape)}")
    if args.yaml:
        atomic_write_text(args.yaml, to_yaml(space, arch))
        print(f"wrote {args.yaml}")
    if args.onnx:
        atomic_write_bytes(args.onnx, to_onnx(model, shape))
        print(f"wrote {args.onnx}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
