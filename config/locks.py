"""At most one run at a time of a periodic task, across every worker and every beat.

Exactly one beat should run in a deployment, but a supervisor restarting a beat that was only
slow, or a second host started by mistake, makes two; and a tick that waited in the queue can
meet the next one. The sweeps are safe to run twice (idempotent), yet two at once re-publish
the same rows twice. A run takes a PostgreSQL advisory lock named after the task; a second
run while it is held returns at once (logged) instead of waiting: the next tick comes soon.

A session-level lock (not a transaction's): the sweeps run several short transactions. It is
released by `pg_advisory_unlock` in `finally`, and by PostgreSQL itself when the worker dies
and its connection closes, so a killed worker never leaves the lock behind.
On SQLite (`make run`: one process, one worker) there is nothing to lock against.
"""

import functools
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL's bigint advisory-lock space)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def single_run(name: str) -> Iterator[bool]:
    """Yield True if this run holds the lock `name` (and release it after), False if another
    run holds it."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            _unlock(key)


def _unlock(key: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    except DatabaseError:
        # The connection is gone (or broken): PostgreSQL released its locks with it.
        logger.warning("could not release advisory lock %s", key, exc_info=True)


def single_run_task(name: str) -> Callable[[Callable[P, None]], Callable[P, None]]:
    """Decorate a periodic task's body: skipped (logged) while another run holds `name`."""

    def decorate(body: Callable[P, None]) -> Callable[P, None]:
        @functools.wraps(body)
        def run(*args: P.args, **kwargs: P.kwargs) -> None:
            with single_run(name) as held:
                if not held:
                    logger.info("%s: another run holds the lock; this one skipped", name)
                    return
                body(*args, **kwargs)

        return run

    return decorate
