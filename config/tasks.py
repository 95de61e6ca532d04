"""The task base every app's tasks use: publishing after commit never fails a request."""

from typing import Any

from celery.contrib.django.task import DjangoTask

from config.enqueue import publish_on_commit


class PublishSafeTask(DjangoTask):
    """`delay_on_commit` that logs, instead of raising, when the broker cannot take the message
    (see config.enqueue.publish).

    The publish happens in an on-commit callback after the response is decided; a broker
    outage (bounded by the broker's socket timeouts and the publish retry policy) must
    not turn a committed signup into a 500. What is lost is a mail the person can ask for
    again (allauth resends verification mail when they log in, after its cooldown).
    """

    # None, as Celery's own `DjangoTask.delay_on_commit` returns (celery-types says a result).
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        publish_on_commit(self.name, args, kwargs=kwargs)
