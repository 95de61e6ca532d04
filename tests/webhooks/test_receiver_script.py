"""The README's receiver (scripts/webhook_receiver.py) verifies what we send."""

import os
import socket
import subprocess
import sys

import pytest

from tests.accounts.conftest import free_port, wait_for
from tests.conftest import PROJECT_DIR
from tests.webhooks.conftest import subscribe
from webhooks.services import webhook_delivery_attempt, webhook_ping

pytestmark = pytest.mark.django_db
SCRIPT = PROJECT_DIR / "scripts" / "webhook_receiver.py"


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_readme_receiver_verifies_a_delivery():
    port = free_port()
    subscription = subscribe(f"http://127.0.0.1:{port}/", ["review.published"])
    env = {**os.environ, "WEBHOOK_SECRET": subscription.secret}
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, str(SCRIPT), str(port)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        wait_for(lambda: _listening(port), timeout=10)
        delivery = webhook_ping(subscription)
        assert webhook_delivery_attempt(delivery.pk) == "delivered"
        assert process.stdout is not None
        assert process.stdout.readline().split() == [f"evt_{delivery.event_id}", "ping", "valid"]
    finally:
        process.kill()
        process.wait(timeout=10)


def test_the_readme_shows_the_receiver_as_it_is():
    readme = (PROJECT_DIR / "README.md").read_text()
    assert SCRIPT.read_text().strip() in readme
