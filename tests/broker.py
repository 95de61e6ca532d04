"""The tests' view of a queue on whichever broker CELERY_BROKER_URL names (Redis, or RabbitMQ
under `make test-rabbitmq`): emptied, counted, peeked."""

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from amqp.exceptions import ChannelError
from celery.contrib.testing.worker import start_worker
from kombu.transport.native_delayed_delivery import MAX_LEVEL, level_name

from config.celery import app as celery_app
from config.settings.base import broker_is_amqp

# How long a test's in-process worker may finish the task it runs when the test ends.
RUNNING_TASK_WAIT_SECONDS = 30


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


def lose(*queues: str) -> None:
    """What a broker that lost its data leaves: `queues` emptied and, on RabbitMQ, every
    countdown waiting in the delay queues too (kombu's native delayed delivery: a retry with
    a countdown waits there, not in its queue, so purging the queue alone does not lose it).
    Only for a vhost of the test run's own."""
    purge(*queues)
    if not on_amqp():
        return  # Redis: a countdown is in its queue (the worker holds it until due)
    with celery_app.connection_for_write() as conn:
        for level in range(MAX_LEVEL + 1):
            channel: Any = conn.channel()
            try:
                channel.queue_purge(level_name(level))
            except ChannelError:
                pass  # this level was never declared (no countdown that long)
            finally:
                with contextlib.suppress(Exception):
                    channel.close()


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


@contextmanager
def in_process_worker(queues: list[str]) -> Iterator[Any]:
    """Celery's test worker in this process, consuming `queues`.

    Solo pool on Redis. On RabbitMQ one thread: with quorum queues the prefetch is static
    (no global QoS), and the solo pool's timer then starts an ETA task (every countdown) up
    to 10 s late; the thread pool runs them on time.

    Stopping: `start_worker` sets Celery's stop flag and waits 10 s for the worker's thread,
    which reads the flag only between two turns of its event loop. On Redis a turn ends at
    least every second (the consumer's BRPOP times out), but an idle AMQP connection has
    nothing to read, so a turn waits for the next timer (up to 10 s): the join timed out, the
    test errored, and the flag left set stopped the next test's worker at once. Here the loop
    is woken every 0.1 s until the worker has stopped (repeatedly: a wake that comes before
    the loop's first turn is lost). On RabbitMQ the task the pool is still running is waited
    for, so nothing of this worker writes after the test."""
    if on_amqp():
        started = start_worker(
            celery_app, pool="threads", concurrency=1, perform_ping_check=False, queues=queues
        )
    else:
        started = start_worker(celery_app, pool="solo", perform_ping_check=False, queues=queues)
    stopped = threading.Event()

    def wake(hub: Any) -> None:
        while not stopped.wait(0.1):
            hub.call_soon(lambda: None)  # from another thread: wakes the loop's poll

    waker: threading.Thread | None = None
    running: Any = None
    try:
        with started as worker:
            hub = worker.hub
            # The thread pool's executor (on AMQP); the solo pool has none.
            running = getattr(getattr(worker, "pool", None), "executor", None)
            try:
                yield worker
            finally:
                if hub is not None:
                    waker = threading.Thread(target=wake, args=(hub,), daemon=True)
                    waker.start()  # then start_worker's exit sets the flag and joins
    finally:
        stopped.set()
        if waker is not None:
            waker.join()
        if running is not None:
            # start_worker stops by terminating, and a thread pool's terminate leaves the
            # task it is running alive: the test's teardown (a TRUNCATE) then deadlocked
            # with a rating recompute still writing. Wait for it (bounded: a task stuck on
            # a lock the test holds fails this test instead of hanging the run); queued
            # ones are dropped.
            running.shutdown(wait=False, cancel_futures=True)
            deadline = time.monotonic() + RUNNING_TASK_WAIT_SECONDS
            for thread in list(getattr(running, "_threads", ())):
                thread.join(max(0.0, deadline - time.monotonic()))
                if thread.is_alive():
                    raise RuntimeError(
                        f"a task of the in-process worker still ran {RUNNING_TASK_WAIT_SECONDS} s "
                        "after the test: see the worker's log above for the task, and what it "
                        "waits on (a lock the test holds, a slow outside call)"
                    )
