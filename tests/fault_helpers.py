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
