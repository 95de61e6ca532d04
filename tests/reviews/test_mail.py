"""The author hears the outcome by mail: enqueued after commit, sent by the mail worker."""

import pytest
from django.core import mail

from accounts.services import user_erase
from config.celery import app as celery_app
from config.documents import generations_bump_now
from events.services import DELIVERY_TASK
from reviews.integrity.scan import integrity_scan_publish
from reviews.models import ModerationEvent
from reviews.services import (
    ReviewDraft,
    review_create,
    review_outcome_notify,
    review_reject,
    review_verify,
)
from tests import broker
from tests.accounts.conftest import wait_for
from tests.conftest import make_user
from tests.factories import AIModelFactory
from tests.reviews.conftest import BODY, moderation_url

pytestmark = pytest.mark.django_db


def test_outcome_mail_tells_the_author_the_outcome_reason_and_note(
    author, create_review, moderator, eager_commit
):
    review = create_review(author)
    with eager_commit():
        response = moderator.client.post(
            moderation_url(review.public_id, "reject"),
            {"reason": "not_first_hand", "note": "Tell us how you used it."},
            format="json",
        )
    assert response.status_code == 200
    [message] = mail.outbox
    assert message.to == [author.email]
    assert message.subject.startswith("[AI model reviews] Your review of")
    assert "Reason: Not first-hand" in message.body
    assert "Note: Tell us how you used it." in message.body
    assert "edit the review and submit it again" in message.body
    assert moderator.user.username not in message.body
    assert moderator.user.email not in message.body


def test_outcomes_enqueue_after_commit_and_submissions_do_not(
    author, ai_model, moderator, django_capture_on_commit_callbacks
):
    draft = ReviewDraft(rating=4, title="t", body=BODY)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        review = review_create(author=author, model=ai_model, draft=draft)
    # a submission sends no mail: its one callback publishes its integrity scan
    assert [getattr(c, "func", None) for c in callbacks] == [integrity_scan_publish]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        review_verify(review=review, moderator=moderator.user)
    # the outcome mail's delivery, and the rating recompute (besides the after-commit bump of
    # the pre-rendered documents that show the review)
    others = [c for c in callbacks if getattr(c, "func", None) is not generations_bump_now]
    assert len(others) == 2
    assert mail.outbox == []  # nothing is sent inside the request's transaction


def test_outbox_deliveries_are_routed_to_the_mail_queue():
    route = celery_app.amqp.router.route({}, DELIVERY_TASK)
    assert route["queue"].name == "mail"


def test_no_mail_for_an_erased_author_or_a_missing_event(author, create_review, moderator):
    review = create_review(author)
    review_reject(review=review, moderator=moderator.user, reason="spam")
    event = ModerationEvent.objects.get(review=review, action="reject")
    user_erase(user=author)
    assert review_outcome_notify(event_id=event.pk) is False
    assert review_outcome_notify(event_id=10**9) is False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_outcome_mail_is_sent_by_a_real_worker_through_the_broker():
    # given a worker consuming the mail queue on the real broker (stale messages dropped)
    broker.purge("mail")
    moderator = make_user()
    from accounts.services import moderator_grant

    moderator_grant(user=moderator)
    author = make_user()
    review = review_create(
        author=author, model=AIModelFactory(), draft=ReviewDraft(rating=5, title="t", body=BODY)
    )
    with broker.in_process_worker(["mail"]):
        # when a moderator verifies the review (the transaction commits, the task is published)
        review_verify(review=review, moderator=moderator)

        # then the worker renders the outcome and the mail task delivers it
        wait_for(lambda: [m for m in mail.outbox if author.email in m.to])
    [message] = [m for m in mail.outbox if author.email in m.to]
    assert "Outcome: Verified" in message.body
