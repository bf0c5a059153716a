"""YOLOv7 detectors whose ELAN blocks vary in depth (see :mod:`spaces.yolo.space`)."""

from spaces.yolo.space import YoloSpace

__all__ = ["YoloSpace"]
