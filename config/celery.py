"""The Celery app. Configuration lives in Django settings under the CELERY_ namespace."""

import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("aimodels")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def _declare_every_queue(**_: Any) -> None:
    """On RabbitMQ, declare every queue (and its exchange) when a worker starts, not only the
    ones it consumes: Celery's native delayed delivery binds every queue of the app to its
    delay exchanges, and a pool consuming `ratings` alone would otherwise fail on `mail`'s
    exchange that no worker has declared yet. Idempotent; a broker still down is retried by
    the worker's own connection loop, and the next worker start declares them."""
    from config.settings.base import broker_is_amqp

    if not broker_is_amqp(app.conf.broker_url or ""):
        return
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=3)
        for queue in app.amqp.queues.values():
            queue.bind(connection.default_channel).declare()
