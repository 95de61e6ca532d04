"""The broker settings: RabbitMQ gets durable quorum queues and publisher confirms, Redis its
visibility timeout; on a live RabbitMQ (`make test-rabbitmq`) the queues really are quorum."""

import shutil
import subprocess
from urllib.parse import unquote, urlsplit

import pytest

from config.celery import app as celery_app
from config.settings.base import CELERY_QUEUE_NAMES, celery_broker_settings
from tests import broker

pytestmark = pytest.mark.fleet


def test_rabbitmq_queues_are_durable_quorum_queues_with_publisher_confirms():
    found = celery_broker_settings("amqp://guest:guest@127.0.0.1:5672/prod")
    queues = {queue.name: queue for queue in found["CELERY_TASK_QUEUES"]}
    assert set(queues) == set(CELERY_QUEUE_NAMES)
    for name, queue in queues.items():
        assert queue.durable is True
        assert queue.queue_arguments == {"x-queue-type": "quorum"}
        # native delayed delivery (countdowns on quorum queues) cannot route direct exchanges
        assert (queue.exchange.name, queue.exchange.type, queue.routing_key) == (
            name, "topic", name,
        )  # fmt: skip
    options = found["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert options["confirm_publish"] is True
    assert "visibility_timeout" not in options
    assert found["CELERY_WORKER_DETECT_QUORUM_QUEUES"] is True


def test_redis_keeps_plain_queues_and_its_visibility_timeout():
    found = celery_broker_settings("redis://127.0.0.1:6379/0")
    assert all(not queue.queue_arguments for queue in found["CELERY_TASK_QUEUES"])
    assert found["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"] == 3600
    assert "confirm_publish" not in found["CELERY_BROKER_TRANSPORT_OPTIONS"]


def test_the_task_settings_hold_on_either_broker():
    conf = celery_app.conf
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost) == (True, True)
    assert conf.worker_prefetch_multiplier == 1


@pytest.mark.skipif(not broker.on_amqp(), reason="runs under make test-rabbitmq")
def test_on_rabbitmq_every_queue_is_declared_durable_and_quorum():
    broker.purge(*CELERY_QUEUE_NAMES)  # declares them as the app does
    vhost = unquote(urlsplit(celery_app.conf.broker_url).path.lstrip("/")) or "/"
    assert vhost != "/"  # the tests never share the default vhost
    rabbitmqctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    listing = subprocess.run(  # noqa: S603
        [rabbitmqctl, "-q", "list_queues", "-p", vhost, "name", "type", "durable"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    rows = {line.split()[0]: line.split()[1:] for line in listing.splitlines() if line.strip()}
    for name in CELERY_QUEUE_NAMES:
        assert rows[name] == ["quorum", "true"], (name, rows.get(name))
