"""The task base every app's tasks use: publishing after commit never fails a request."""

import functools
import logging
from typing import Any

from celery.contrib.django.task import DjangoTask
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


class PublishSafeTask(DjangoTask):
    """`delay_on_commit` that logs, instead of raising, when the broker cannot take the message.

    The publish happens in an on-commit callback after the response is decided; a broker
    outage (bounded by the broker's socket timeouts and the publish retry policy) must
    not turn a committed signup into a 500. What is lost is a mail the person can ask for
    again (allauth resends verification mail when they log in, after its cooldown).
    """

    # None, as Celery's own `DjangoTask.delay_on_commit` returns (celery-types says a result).
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        transaction.on_commit(functools.partial(self.apply_async_or_log, args, kwargs))

    def apply_async_or_log(
        self, args: tuple = (), kwargs: dict | None = None, **options: Any
    ) -> bool:
        """`apply_async` that logs instead of raising; False when the message was not taken."""
        try:
            self.apply_async(args, kwargs, **options)
        except OperationalError:
            logger.exception("could not publish %s; the broker is unreachable", self.name)
            return False
        except Exception:
            # Any other refusal (a full Redis answering OOM, an encoding bug) must not turn a
            # committed request into a 500 either; the traceback in the log says which.
            logger.exception("could not publish %s", self.name)
            return False
        return True
