"""The task base every app's tasks use: publishing after commit never fails a request."""

from typing import Any

from celery.contrib.django.task import DjangoTask

from config.enqueue import publish_on_commit


class PublishSafeTask(DjangoTask):
    """`delay_on_commit` that logs, instead of raising, when the broker cannot take the message
    (see config.enqueue.publish).

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
        publish_on_commit(self.name, args, kwargs=kwargs)
