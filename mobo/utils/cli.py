"""The shared ending of the commands that write files."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


def write_files(action: Callable[[], list[Path]]) -> int:
    """Runs ``action``; prints the files it wrote, or the error (exit status 2)."""
    try:
        paths = action()
    except (ValueError, OSError) as err:  # ConfigError is a ValueError
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"wrote {path}")
    return 0
