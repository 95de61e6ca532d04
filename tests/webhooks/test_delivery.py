"""Webhook deliveries to a real HTTP receiver on loopback: signed, retried, disabled."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.services import moderator_grant
from events.models import Delivery, Event
from events.services import delivery_attempt
from models_catalog.models import Source
from models_catalog.services import model_import, price_record
from reviews.services import review_hide
from tests.conftest import make_user
from tests.factories import AIModelFactory, ProviderFactory
from tests.webhooks.conftest import fan_out, published_review, subscribe
from webhooks.models import WebhookDelivery
from webhooks.services import retry_delay, webhook_delivery_attempt, webhook_redeliver
from webhooks.signing import signature, signature_valid

pytestmark = pytest.mark.django_db


def _later(hours: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


def test_a_published_review_is_delivered_signed_with_its_event_id(receiver):
    # given a subscription to review.published
    subscription = subscribe(receiver.url, ["review.published"])
    # when a review is published and the outbox runs the webhooks consumer, then the delivery
    review = published_review(AIModelFactory())
    [delivery] = fan_out()
    assert webhook_delivery_attempt(delivery.pk) == "delivered"

    # then the receiver got one POST whose signature verifies with the secret
    [got] = receiver.received
    assert signature_valid(subscription.secret, got.headers, got.body)
    assert got.headers["content-type"] == "application/json"
    body = json.loads(got.body)
    assert body["type"] == "review.published"
    assert body["id"] == got.headers["webhook-id"] == f"evt_{delivery.event_id}"
    assert body["data"]["id"] == str(review.public_id)
    assert body["data"]["status"] == "published"
    assert "created_at" in body
    # a wrong secret or a changed body does not verify
    assert not signature_valid("whsec_" + "A" * 32, got.headers, got.body)
    assert not signature_valid(subscription.secret, got.headers, got.body + b" ")
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)
    assert len(delivery.response_excerpt) <= 500  # the answer is capped, never stored whole


def test_the_signature_follows_standard_webhooks():
    # The reference vector of the Standard Webhooks specification's libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_a_receiver_failing_three_times_then_succeeding_gets_it_again_with_the_same_id(
    receiver,
):
    # given a receiver that answers 500 three times, then 200
    subscribe(receiver.url, ["review.published"])
    receiver.statuses = [500, 500, 500]
    published_review(AIModelFactory())
    [delivery] = fan_out()

    # when the delivery is attempted as each retry falls due
    outcomes = [webhook_delivery_attempt(delivery.pk, now=_later(30 * n)) for n in range(4)]

    # then it was retried until it succeeded, every time with the same event id and body
    assert outcomes == ["pending", "pending", "pending", "delivered"]
    assert len(receiver.received) == 4
    assert {r.headers["webhook-id"] for r in receiver.received} == {f"evt_{delivery.event_id}"}
    assert len({r.body for r in receiver.received}) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("delivered", 4, "")


def test_a_retry_waits_until_it_is_due(receiver):
    subscribe(receiver.url, ["review.published"])
    receiver.statuses = [503]
    published_review(AIModelFactory())
    [delivery] = fan_out()
    assert webhook_delivery_attempt(delivery.pk) == "pending"
    # not due yet: nothing is sent
    assert webhook_delivery_attempt(delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.last_status == 503 and delivery.last_error == "HTTP 503"
    assert delivery.next_attempt_at > timezone.now()


def test_the_retry_schedule_spans_about_a_day(settings):
    total = sum(retry_delay(n) for n in range(1, settings.WEBHOOK_MAX_ATTEMPTS))
    assert 12 * 3600 < total < 28 * 3600
    assert 30 <= retry_delay(1) <= 60


def test_a_receiver_that_never_answers_is_retried_then_disabled_and_its_owner_mailed(
    receiver, settings
):
    # given a receiver that stays silent longer than the read timeout
    settings.WEBHOOK_READ_TIMEOUT = 0.3
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.hang = 1.0
    subscription = subscribe(receiver.url, ["review.published"])
    published_review(AIModelFactory())
    [delivery] = fan_out()

    # when every attempt times out
    outcomes = [webhook_delivery_attempt(delivery.pk, now=_later(30 * n)) for n in range(3)]

    # then the delivery fails for good and the subscription is disabled
    assert outcomes == ["pending", "pending", "failed"]
    assert len(receiver.received) == 3
    delivery.refresh_from_db()
    assert delivery.state == "failed" and "timed out" in delivery.last_error
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_at is not None
    # and its owner is told by mail, through the outbox
    [notice] = Delivery.objects.filter(consumer="webhook_disabled_mail")
    assert delivery_attempt(notice.pk) == "delivered"
    [message] = mail.outbox[-1:]
    assert message.to == [subscription.owner.email]
    assert subscription.url in message.body

    # and what comes next is not sent to the disabled endpoint
    published_review(AIModelFactory())
    assert len(fan_out()) == 1


def test_a_failed_delivery_is_redelivered_on_request(receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    subscription = subscribe(receiver.url, ["review.published"])
    receiver.statuses = [500]
    published_review(AIModelFactory())
    [delivery] = fan_out()
    assert webhook_delivery_attempt(delivery.pk) == "failed"
    subscription.refresh_from_db()
    subscription.is_active, subscription.disabled_at = True, None  # the owner fixed it
    subscription.save()

    delivery = webhook_redeliver(WebhookDelivery.objects.get(pk=delivery.pk))
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert webhook_delivery_attempt(delivery.pk) == "delivered"
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_filters_and_types_choose_the_subscriptions(receiver):
    # given subscriptions for one model, for another provider, and for other types
    model = AIModelFactory()
    other = AIModelFactory()
    for_model = subscribe(receiver.url, ["review.published"], models=[model])
    for_provider = subscribe(receiver.url, ["review.published"], provider=model.provider)
    subscribe(receiver.url, ["review.published"], models=[other])
    subscribe(receiver.url, ["review.removed", "rating.changed"])

    # when a review of `model` is published
    published_review(model)

    # then only the matching subscriptions get a delivery
    deliveries = fan_out()
    assert {d.subscription_id for d in deliveries} == {for_model.pk, for_provider.pk}


def test_hiding_a_public_review_sends_review_removed_and_a_submission_sends_nothing(
    receiver,
):
    subscription = subscribe(receiver.url, ["review.removed", "review.published"])
    review = published_review(AIModelFactory())
    fan_out()
    moderator = make_user()
    moderator_grant(user=moderator)
    review_hide(review=review, moderator=moderator, reason="spam")
    deliveries = fan_out()
    kinds = [d.event_type for d in deliveries if d.subscription_id == subscription.pk]
    assert kinds == ["review.published", "review.removed"]
    # a submission is nobody's business outside: the consumer does not even receive it
    assert not Delivery.objects.filter(consumer="webhooks", event__type="review.submitted")


def test_catalog_imports_send_model_added_and_price_changed(receiver):
    # given a subscription to the catalog's events for one provider
    provider = ProviderFactory()
    subscribe(receiver.url, ["model.added", "price.changed"], provider=provider)
    # when an importer adds a model and records its price
    today = dt.date(2026, 11, 1)
    model, _ = model_import(
        slug=f"{provider.slug}/fresh", provider=provider, attributes={"name": "Fresh"},
        source=Source.OPENROUTER, as_of=today,
    )  # fmt: skip
    assert model is not None
    price_record(
        model=model, source=Source.OPENROUTER, as_of=today,
        input_per_mtok=Decimal("1.5"), output_per_mtok=Decimal("6"),
    )  # fmt: skip
    # then both are delivered with the resource as the API shows it
    for delivery in fan_out():
        assert webhook_delivery_attempt(delivery.pk) == "delivered"
    bodies = [json.loads(r.body) for r in receiver.received]
    assert [b["type"] for b in bodies] == ["model.added", "price.changed"]
    # Rendered outside a request: the reference links on API_ORIGIN.
    assert bodies[0]["data"]["model"] == {
        "slug": model.slug, "name": "Fresh",
        "url": f"{settings.API_ORIGIN}/api/v1/models/{model.slug}/",
    }  # fmt: skip
    assert bodies[1]["data"]["price"]["input_per_mtok"] == "1.50"


def test_without_subscriptions_events_are_recorded_without_webhook_deliveries():
    published_review(AIModelFactory())
    assert Event.objects.filter(type="review.published").exists()
    assert not Delivery.objects.filter(consumer="webhooks").exists()
