"""The global state a run owns while it runs, released after it: its log file, torch's
thread count and torch's global random generator."""

from __future__ import annotations

import logging
import random
import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType

import torch

from spaces.profile import torch_threads

log = logging.getLogger("latentnas")


@contextmanager
def run_log(path: Path) -> Iterator[None]:
    """Sends the ``latentnas`` logger's records to ``path`` (appended) until the block ends,
    at INFO level; a second run in the same process writes to its own file only."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    previous = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(previous)
        handler.close()


@contextmanager
def run_context(log_path: Path, threads: int | None) -> Iterator[None]:
    """Everything global a run changes, restored when it ends: its log handler, torch's
    thread count (``None`` keeps the caller's) and torch's global generator."""
    with ExitStack() as stack:
        stack.enter_context(run_log(log_path))
        stack.enter_context(torch_threads(threads))
        stack.enter_context(torch.random.fork_rng())
        yield


@contextmanager
def step_streams(seed: int, iteration: int) -> Iterator[tuple[torch.Generator, random.Random]]:
    """The random streams of one BO step, fixed by ``(seed, iteration)`` so that a resumed run
    proposes what the uninterrupted one would have: a torch generator and a Python RNG for
    the candidates, and torch's global generator (BoTorch's samplers draw their seeds from it)
    seeded for the block and restored after it."""
    with torch.random.fork_rng():
        torch.manual_seed(seed * 1_000_003 + iteration)
        yield torch.Generator().manual_seed(seed * 7_919 + iteration), random.Random(seed * 104_729 + iteration)


class Interrupted(BaseException):
    """The run was asked to stop (Ctrl-C or SIGTERM); not an evaluation failure.

    Attributes:
        signum: the signal's number.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """The shell's status for a process ended by the signal (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum


@contextmanager
def interruptible() -> Iterator[None]:
    """Turns SIGINT and SIGTERM into :class:`Interrupted` in the block (main thread only; the
    previous handlers are restored after), so a stopped run ends like any other exception:
    its files written atomically, its locks released."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
