"""Progress lines and the bench's one error type."""

import sys
import time

_STARTED = time.monotonic()


class BenchError(RuntimeError):
    """Something the bench cannot measure around: the run stops, naming it."""


def say(message: str) -> None:
    """One progress line, with the seconds since the run started."""
    print(f"[bench {time.monotonic() - _STARTED:7.1f}s] {message}", flush=True)


def warn(message: str) -> None:
    print(f"[bench] WARNING: {message}", file=sys.stderr, flush=True)
