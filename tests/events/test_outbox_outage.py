"""Acceptance (issue 10 item 5, issue 12 item 1): stop the broker, verify a review, start the
broker: the author's outcome mail arrives within one sweep. Real Redis (the test's own server,
stopped for real), real worker, real API request."""

import time

import pytest
from django.core import mail

from accounts.services import moderator_grant
from config.celery import app as celery_app
from config.enqueue import publish
from events.models import Delivery
from reviews.services import ReviewDraft, review_create
from tests import broker
from tests.accounts.conftest import wait_for
from tests.conftest import make_user, token_client
from tests.factories import AIModelFactory
from tests.reviews.conftest import BODY, moderation_url

SWEEP_TASK = "events.tasks.delivery_sweep_task"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_outcome_mail_survives_a_broker_outage_and_arrives_within_one_sweep(own_broker, settings):
    # given a pending review, its author and a moderator
    settings.OUTBOX_SWEEP_AFTER = 0
    settings.REDIS_CIRCUIT_OPEN_SECONDS = 1  # the broker's circuit (config.redis_health)
    moderator = make_user()
    moderator_grant(user=moderator)
    author = make_user()
    draft = ReviewDraft(rating=5, title="t", body=BODY)
    review = review_create(author=author, model=AIModelFactory(), draft=draft)
    client = token_client(moderator)

    # when the broker is stopped (its process killed) and the moderator verifies the review
    own_broker.stop()
    started = time.monotonic()
    response = client.post(moderation_url(review.public_id, "verify"), {}, format="json")
    elapsed = time.monotonic() - started

    # then the API answers 200 at once, and the mail waits in the outbox, not lost
    assert response.status_code == 200, response.content
    print(f"\nverify with the broker down answered in {elapsed:.2f} s")
    assert elapsed < 2.0
    [delivery] = Delivery.objects.filter(consumer="review_outcome_mail")
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert delivery.event.type == "review.published"
    assert [m for m in mail.outbox if author.email in m.to] == []

    # when the broker is back and a worker runs one sweep
    own_broker.start()
    assert f":{own_broker.port}/" in celery_app.connection_for_write().as_uri()
    # the sweep runs on `maintenance`, which every worker group consumes (Procfile)
    queues = ["mail", "maintenance"]
    with broker.in_process_worker(queues):
        # the publish that found the broker down opened its circuit: publishes are skipped
        # until the open period is over, then one goes through (as the next beat tick would)
        wait_for(lambda: publish(SWEEP_TASK), timeout=15)
        # then the author's outcome mail arrives, and the delivery is recorded as done
        wait_for(lambda: [m for m in mail.outbox if author.email in m.to], timeout=15)
    [message] = [m for m in mail.outbox if author.email in m.to]
    assert "Outcome: Verified" in message.body
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 1)
