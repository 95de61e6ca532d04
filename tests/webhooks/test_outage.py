"""Acceptance (issue 17): Redis stopped while a review is published loses no webhook; it is
delivered within one sweep after Redis returns. Real Redis (the test's own, stopped for
real), a real worker, a real receiver on loopback."""

import json

import pytest

from accounts.services import moderator_grant
from config.enqueue import publish
from reviews.services import ReviewDraft, review_create
from tests import broker
from tests.accounts.conftest import wait_for
from tests.conftest import make_user, token_client
from tests.events.conftest import own_broker  # noqa: F401 (fixture)
from tests.factories import AIModelFactory
from tests.reviews.conftest import BODY, moderation_url
from tests.webhooks.conftest import subscribe
from webhooks.models import WebhookDelivery
from webhooks.signing import signature_valid


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_webhook_survives_a_broker_outage_and_arrives_within_one_sweep(
    own_broker,  # noqa: F811
    receiver,
    settings,
):
    # given a subscription, a pending review and a moderator
    settings.OUTBOX_SWEEP_AFTER = 0
    settings.REDIS_CIRCUIT_OPEN_SECONDS = 1  # the broker's circuit (config.redis_health)
    subscription = subscribe(receiver.url, ["review.published"])
    moderator = make_user()
    moderator_grant(user=moderator)
    draft = ReviewDraft(rating=5, title="t", body=BODY)
    review = review_create(author=make_user(), model=AIModelFactory(), draft=draft)

    # when the broker is down while the moderator publishes the review
    own_broker.stop()
    response = token_client(moderator).post(
        moderation_url(review.public_id, "verify"), {}, format="json"
    )
    assert response.status_code == 200, response.content
    assert receiver.received == []

    # and the broker is back and a worker runs one outbox sweep
    own_broker.start()
    queues = ["mail", "webhooks", "maintenance"]
    with broker.in_process_worker(queues):
        # the publish that found the broker down opened its circuit: publishes are skipped
        # until its probe finds the broker back
        wait_for(lambda: publish("events.tasks.delivery_sweep_task"), timeout=15)
        # then the receiver gets the review, signed
        wait_for(lambda: receiver.received, timeout=20)
        wait_for(lambda: WebhookDelivery.objects.filter(state="delivered").exists(), timeout=10)
    [got] = receiver.received
    assert signature_valid(subscription.secret, got.headers, got.body)
    assert json.loads(got.body)["data"]["id"] == str(review.public_id)
