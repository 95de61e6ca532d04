"""Publishing tasks by name: the one way services and pipelines enqueue work.

Publishing by name (`app.send_task`) means the code that enqueues never imports a `tasks`
module, so tasks may import services freely without an import cycle. CELERY_TASK_ROUTES
are keyed by name and apply the same way. Every name published goes through `task_name`,
so a test can check each one is a registered task.

A publish never raises: a broker outage must not turn a committed request into a 500. What
must not be lost is also written to the database in the same transaction (a stale mark, an
outbox delivery), and a beat sweep publishes it again.
"""

import functools
import logging
import math
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from config.celery import app
from config.redis_health import broker_publish

logger = logging.getLogger(__name__)
_NAMES: set[str] = set()


def task_name(name: str) -> str:
    """Declare a task name that is published by name (checked by tests/test_architecture)."""
    _NAMES.add(name)
    return name


def published_task_names() -> frozenset[str]:
    return frozenset(_NAMES)


def publish(name: str, args: Sequence[Any] = (), **options: Any) -> bool:
    """Publish task `name` with `args` and Celery `options` (countdown, ...); log, never
    raise. Returns False when the broker did not take the message.

    One attempt (`retry=False`: no retry loop on the request path) through the broker's
    circuit (config.redis_health): while the broker is known to be down the publish is
    skipped at once and counted, and the outage is logged when the circuit opens and closes,
    not per publish. Any other refusal (an encoding bug) is logged with its traceback."""
    options.setdefault("retry", False)
    countdown = options.get("countdown")
    if countdown:
        # Whole seconds: on RabbitMQ's quorum queues a countdown rides Celery's native delayed
        # delivery, whose routing key holds whole seconds and refuses one below 1 s.
        options["countdown"] = math.ceil(countdown)
    if app.conf.task_always_eager:
        # send_task ignores eager mode; honour it (tests, local debugging) like apply_async.
        # Not through the circuit: no broker is involved, and a task's own error is no outage.
        try:
            app.loader.import_default_modules()
            app.tasks[name].apply_async(tuple(args), **options)
        except Exception:
            logger.exception("could not publish %s", name)
            return False
        return True
    return broker_publish(app, name, lambda: app.send_task(name, args=tuple(args), **options))


def publish_on_commit(name: str, args: Sequence[Any] = (), **options: Any) -> None:
    """`publish` after the current transaction commits (at once outside one). `robust`: an
    unexpected error in this callback never stops the transaction's other callbacks."""
    transaction.on_commit(functools.partial(publish, name, args, **options), robust=True)
