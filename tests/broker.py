"""The tests' view of a queue on whichever broker CELERY_BROKER_URL names (Redis, or RabbitMQ
under `make test-rabbitmq`): emptied, counted, peeked."""

import json
from typing import Any

from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app
from config.settings.base import broker_is_amqp


def on_amqp() -> bool:
    return broker_is_amqp(celery_app.conf.broker_url or "")


def purge(*queues: str) -> None:
    """Drop every message waiting in `queues` (declared first, as the app declares them:
    RabbitMQ refuses to purge a queue that does not exist)."""
    with celery_app.connection_for_write() as conn:
        channel: Any = conn.default_channel
        for name in queues:
            celery_app.amqp.queues[name].bind(channel).declare()
            channel.queue_purge(name)


def depth(queue: str) -> int:
    """Messages ready in `queue` (on RabbitMQ a countdown waits in the delay queues until due,
    and is not counted)."""
    with celery_app.connection_for_write() as conn:
        channel: Any = conn.default_channel
        if not on_amqp():
            return int(channel.client.llen(queue))
        bound = celery_app.amqp.queues[queue].bind(channel)
        declared: Any = bound.queue_declare(passive=True)  # (name, messages, consumers)
        return int(declared.message_count)


def queued_headers(queue: str) -> list[dict]:
    """The headers of the messages waiting in `queue`, oldest first. On RabbitMQ read with
    basic_get and left unacknowledged: closing the channel puts them back."""
    with celery_app.connection_for_write() as conn:
        channel: Any = conn.default_channel
        if not on_amqp():
            raw = channel.client.lrange(queue, 0, -1)
            return [json.loads(message)["headers"] for message in reversed(raw)]
        found = []
        peek: Any
        with conn.channel() as peek:
            while (message := peek.basic_get(queue, no_ack=False)) is not None:
                found.append(dict(message.headers))
        return found


def in_process_worker(queues: list[str]) -> Any:
    """Celery's test worker in this process, consuming `queues` (a context manager).

    Solo pool on Redis. On RabbitMQ one thread: with quorum queues the prefetch is static
    (no global QoS), and the solo pool's timer then starts an ETA task (every countdown) up
    to 10 s late; the thread pool runs them on time."""
    if on_amqp():
        return start_worker(
            celery_app, pool="threads", concurrency=1, perform_ping_check=False, queues=queues
        )
    return start_worker(celery_app, pool="solo", perform_ping_check=False, queues=queues)
