"""User evaluators for the fault tests (``source: callable`` imports them by name)."""

import os
import sys
import time
import zlib


def _score(arch) -> float:
    return 50.0 + (zlib.crc32(str(arch).encode()) % 5000) / 100.0


def slow_accuracy(arch, model) -> float:
    """A deterministic accuracy that takes a moment (so a run can be stopped in the middle)."""
    time.sleep(float(os.environ.get("FAULT_SLEEP", "0.15")))
    return _score(arch)


def hangs_sometimes(arch, model) -> float:
    """Never returns for about a quarter of the architectures."""
    if zlib.crc32(str(arch).encode()) % 4 == 0:
        time.sleep(3600)
    return _score(arch)


def exits_sometimes(arch, model) -> float:
    """Calls ``sys.exit`` for about a quarter of the architectures."""
    if zlib.crc32(str(arch).encode()) % 4 == 0:
        sys.exit(3)
    return _score(arch)


def numpy_accuracy(arch, model):
    """A numpy scalar, as many user functions return."""
    import numpy as np

    return np.float32(_score(arch))


def logged_accuracy(arch, model) -> float:
    """:func:`slow_accuracy` that first appends its process id and ``str(arch)`` to the file
    ``FAULT_LOG`` (when set): which evaluations started, and where."""
    if os.environ.get("FAULT_LOG"):
        with open(os.environ["FAULT_LOG"], "a") as f:
            f.write(f"{os.getpid()} {arch}\n")
    return slow_accuracy(arch, model)


class Faulty:
    """An evaluator whose architectures, by a hash of their name, kill their worker process on
    the first attempt only (1 in 4), on every attempt (1 in 4), never return (1 in 4), or return
    a score. A kill leaves a marker file in ``markers``.
    """

    def __init__(self, markers: str) -> None:
        self.markers = markers

    @staticmethod
    def kind(arch: str) -> str:
        # the "0" prefix spreads the four kinds over the first six architectures of the test's design
        return ("killed_once", "killed_always", "hangs", "fine")[zlib.crc32(f"0{arch}".encode()) % 4]

    def marker(self, arch: str) -> str:
        return os.path.join(self.markers, str(zlib.crc32(arch.encode())))

    def __call__(self, arch) -> float:
        text = str(arch)
        kind, marker = self.kind(text), self.marker(text)
        if kind == "killed_always" or kind == "killed_once" and not os.path.exists(marker):
            open(marker, "a").close()
            os.kill(os.getpid(), 9)
        if kind == "hangs":
            time.sleep(3600)
        return _score(text)
