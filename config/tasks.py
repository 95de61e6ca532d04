"""The task base every app's tasks use: publishing after commit never fails a request."""

import functools
from typing import Any

from celery.contrib.django.task import DjangoTask
from django.db import transaction

from config.redis_health import broker_publish


class PublishSafeTask(DjangoTask):
    """`delay_on_commit` that logs, instead of raising, when the broker cannot take the message.

    The publish happens in an on-commit callback after the response is decided; a broker
    outage must not turn a committed request into a 500, nor slow it by more than one socket
    timeout: a publish is one attempt (`retry=False`, no retry loop on the request path)
    through the broker's circuit (config.redis_health), so while the broker is known to be
    down publishes are skipped at once and counted, and the outage is logged when the
    circuit opens and closes, not per publish. Whatever must not be lost is recorded in the
    database by the caller (a stale mark, an outbox row) and swept.
    """

    # None, as Celery's own `DjangoTask.delay_on_commit` returns (celery-types says a result).
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        transaction.on_commit(functools.partial(self.apply_async_or_log, args, kwargs))

    def apply_async_or_log(
        self, args: tuple = (), kwargs: dict | None = None, **options: Any
    ) -> bool:
        """`apply_async`, one attempt, that logs instead of raising; False when the message
        was not taken (broker down, its circuit open, or refused)."""
        options.setdefault("retry", False)
        return broker_publish(
            self.app, self.name, lambda: self.apply_async(args, kwargs, **options)
        )
