"""The reviews app's domain events in the outbox: one per audit action, the outcome mail as a
delivery, and `rating.changed` when a stored summary's shown values change."""

import smtplib

import pytest
from django.core import mail

from accounts.services import user_erase
from events.models import Delivery, Event
from events.services import delivery_attempt
from reviews.ratings import rating_recompute, ratings_rebuild
from reviews.services import review_reject, review_verify, review_withdraw
from tests.factories import AIModelFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def _types() -> list[str]:
    return list(Event.objects.order_by("pk").values_list("type", flat=True))


def test_each_workflow_step_records_its_domain_event(author, create_review, moderator):
    review = create_review(author)
    review = review_verify(review=review, moderator=moderator.user)
    review_withdraw(review=review, author=author)
    assert [t for t in _types() if t.startswith("review.")] == [
        "review.submitted", "review.published", "review.withdrawn",
    ]  # fmt: skip
    published = Event.objects.get(type="review.published")
    assert published.payload == {
        "review_id": review.pk, "model_id": review.model_id, "author_id": author.pk,
        "moderation_event_id": published.payload["moderation_event_id"], "action": "verify",
        "status": "published",
    }  # fmt: skip


def test_only_outcomes_get_an_outcome_mail_delivery(author, create_review, moderator):
    review = create_review(author)  # a submission: no mail
    assert not Delivery.objects.exists()
    review_reject(review=review, moderator=moderator.user, reason="spam")
    [delivery] = Delivery.objects.all()
    assert (delivery.consumer, delivery.event.type) == ("review_outcome_mail", "review.rejected")


def test_the_outcome_mail_is_delivered_by_the_outbox(author, create_review, moderator):
    review = review_verify(review=create_review(author), moderator=moderator.user)
    delivery = Delivery.objects.get(event__payload__review_id=review.pk)
    assert mail.outbox == []  # nothing is sent in the moderator's transaction

    assert delivery_attempt(delivery.pk) == "delivered"

    [message] = mail.outbox
    assert message.to == [author.email]
    assert "Outcome: Verified" in message.body


def test_an_erased_author_is_a_recorded_no_op(author, create_review, moderator):
    review = review_reject(review=create_review(author), moderator=moderator.user, reason="spam")
    user_erase(user=author)
    delivery = Delivery.objects.get(
        event__payload__review_id=review.pk, consumer="review_outcome_mail"
    )
    assert delivery_attempt(delivery.pk) == "delivered"
    delivery.refresh_from_db()
    assert delivery.result.startswith("nothing sent")
    assert mail.outbox == []


def test_a_refused_recipient_fails_the_mail_for_good(author, create_review, moderator, settings):
    # given a mail server that answers 550 for the author's address
    settings.EMAIL_BACKEND = "tests.reviews.test_domain_events.RefusingBackend"
    review = review_reject(review=create_review(author), moderator=moderator.user, reason="spam")
    delivery = Delivery.objects.get(event__payload__review_id=review.pk)
    assert delivery_attempt(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert "550" in delivery.last_error


class RefusingBackend:
    def __init__(self, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: list) -> int:
        raise smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such user")})


def test_rating_changed_is_recorded_only_when_shown_values_change():
    model = AIModelFactory()
    ReviewFactory(model=model, rating=4, published=True)
    rating_recompute(model.pk)
    [event] = Event.objects.filter(type="rating.changed")
    assert event.payload["model_id"] == model.pk
    assert event.payload["review_count"] == 1
    assert not Delivery.objects.filter(event=event).exists()  # no consumer yet

    # a recompute that changes nothing records nothing
    rating_recompute(model.pk)
    assert Event.objects.filter(type="rating.changed").count() == 1


def test_the_full_rebuild_records_changes_of_changed_models_only():
    rated, quiet, never = AIModelFactory(), AIModelFactory(), AIModelFactory()
    ReviewFactory(model=quiet, rating=3, published=True)
    ratings_rebuild()
    before = set(Event.objects.filter(type="rating.changed").values_list("pk", flat=True))
    # when one model gets a review and everything is rebuilt (same prior: one review each)
    ReviewFactory(model=rated, rating=3, published=True)
    ratings_rebuild()
    new = Event.objects.filter(type="rating.changed").exclude(pk__in=before)
    changed = {e.payload["model_id"] for e in new}
    # then the new review's model changed; the model never reviewed did not
    assert rated.pk in changed
    assert never.pk not in changed
