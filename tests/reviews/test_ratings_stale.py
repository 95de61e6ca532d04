"""The rating hook: every change to what is published marks the model's rating stale."""

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.services import user_erase
from reviews.integrity.standing import trusted_flagger_grant
from reviews.models import ModelRatingState, ModerationEvent, Review
from reviews.ratings import rating_mark_stale
from reviews.services import (
    ReviewDraft,
    report_create,
    review_create,
    review_hide,
    review_mark_usage_verified,
    review_reject,
    review_restore,
    review_update,
    review_verify,
    review_withdraw,
)
from tests.conftest import PERSONA_PASSWORD, make_user, token_client
from tests.factories import AIModelFactory
from tests.reviews.conftest import BODY

pytestmark = pytest.mark.django_db


def _state(model) -> tuple[bool, int]:
    state = ModelRatingState.objects.filter(model=model).first()
    return (False, 0) if state is None else (state.stale, state.change_seq)


def test_rating_mark_stale_creates_then_increments_and_keeps_the_first_stale_time(ai_model):
    rating_mark_stale(ai_model.pk)
    first = ModelRatingState.objects.get(model=ai_model)
    assert (first.stale, first.change_seq) == (True, 1)
    rating_mark_stale(ai_model.pk)
    second = ModelRatingState.objects.get(model=ai_model)
    assert (second.change_seq, second.stale_since) == (2, first.stale_since)


def test_rating_mark_stale_starts_a_new_stale_period_after_a_recompute(ai_model):
    rating_mark_stale(ai_model.pk)
    long_ago = timezone.now() - dt.timedelta(days=3)
    ModelRatingState.objects.filter(model=ai_model).update(stale=False, stale_since=long_ago)
    rating_mark_stale(ai_model.pk)
    state = ModelRatingState.objects.get(model=ai_model)
    assert (state.stale, state.change_seq) == (True, 2)
    assert state.stale_since > long_ago


@pytest.mark.django_db(transaction=True)
def test_rating_mark_stale_counts_every_concurrent_change():
    # given a model whose state row does not exist yet
    model = AIModelFactory()
    barrier = threading.Barrier(10)
    errors: list[Exception] = []

    def mark() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                rating_mark_stale(model.pk)
        except Exception as error:  # the assertion below reports it
            errors.append(error)
        finally:
            connection.close()

    # when ten transactions mark it at once (racing to create the row)
    threads = [threading.Thread(target=mark) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then there is one row, and every change was counted
    assert errors == []
    assert _state(model) == (True, 10)


# --- Every service that changes what is published ----------------------------------------


def _review(model, *, published: bool, moderator) -> Review:
    draft = ReviewDraft(rating=4, title="t", body=BODY)
    review = review_create(author=make_user(), model=model, draft=draft)
    return review_verify(review=review, moderator=moderator) if published else review


def _auto_hidden(review: Review) -> Review:
    flagger = make_user()
    trusted_flagger_grant(user=flagger)
    report_create(review=review, reporter=flagger, reason="abusive")
    review = Review.objects.get(pk=review.pk)
    assert review.status == "hidden"
    # The automatic hiding itself left the rating alone.
    ModelRatingState.objects.filter(model_id=review.model_id).update(stale=False)
    return review


def _edit(review: Review) -> Review:
    return review_update(review=review, author=review.author, changes={"rating": 1})


STALE_CHANGES: dict[str, tuple[bool, Callable]] = {
    # name: (start published?, change(review, moderator))
    "verify a new review": (False, lambda r, m: review_verify(review=r, moderator=m)),
    "verify an edit": (True, lambda r, m: review_verify(review=_edit(r), moderator=m)),
    "hide": (True, lambda r, m: review_hide(review=r, moderator=m, reason="spam")),
    "restore": (
        True,
        lambda r, m: review_restore(
            review=review_hide(review=r, moderator=m, reason="spam"), moderator=m
        ),
    ),
    "withdraw a published review": (
        True, lambda r, m: review_withdraw(review=r, author=r.author),
    ),
    # A review hidden by reports counts until a moderator confirms it (issue 13).
    "moderator confirms an automatic hiding": (
        True, lambda r, m: review_hide(review=_auto_hidden(r), moderator=m, reason="abusive"),
    ),
    "usage verified on a published review": (
        True, lambda r, m: review_mark_usage_verified(review=r, moderator=m),
    ),
    "erasure of the author": (True, lambda r, m: user_erase(user=r.author)),
}  # fmt: skip


@pytest.mark.parametrize("name", list(STALE_CHANGES))
def test_every_publishing_change_marks_the_rating_stale_and_counts_up(ai_model, moderator, name):
    published, change = STALE_CHANGES[name]
    review = _review(ai_model, published=published, moderator=moderator.user)
    _, seq_before = _state(ai_model)
    ModelRatingState.objects.filter(model=ai_model).update(stale=False)

    change(Review.objects.get(pk=review.pk), moderator.user)

    stale, seq_after = _state(ai_model)
    assert stale is True
    assert seq_after > seq_before


NOT_STALE_CHANGES: dict[str, Callable] = {
    "submit": lambda r, m: None,
    "edit a pending review": lambda r, m: _edit(r),
    "reject": lambda r, m: review_reject(review=r, moderator=m, reason="spam"),
    "withdraw a pending review": lambda r, m: review_withdraw(review=r, author=r.author),
}


@pytest.mark.parametrize("name", list(NOT_STALE_CHANGES))
def test_changes_to_unpublished_reviews_leave_the_rating_alone(ai_model, moderator, name):
    review = _review(ai_model, published=False, moderator=moderator.user)
    NOT_STALE_CHANGES[name](review, moderator.user)
    assert _state(ai_model) == (False, 0)


def test_erasure_over_http_withdraws_every_review_and_marks_ratings_stale(moderator):
    # given a person with a published review of one model and a pending one of another
    person = make_user()
    first, second = AIModelFactory(), AIModelFactory()
    draft = ReviewDraft(rating=4, title="t", body=BODY)
    published = review_verify(
        review=review_create(author=person, model=first, draft=draft), moderator=moderator.user
    )
    pending = review_create(author=person, model=second, draft=draft)

    # when they delete their account
    response = token_client(person).delete(
        "/api/v1/me/", {"password": PERSONA_PASSWORD}, format="json"
    )

    # then both reviews are withdrawn by them, and only the published one's rating is stale
    assert response.status_code == 204
    statuses = dict(Review.objects.values_list("pk", "status"))
    assert statuses == {published.pk: "withdrawn", pending.pk: "withdrawn"}
    assert _state(first) == (True, 2)  # verify, then the withdrawal
    assert _state(second) == (False, 0)
    events = ModerationEvent.objects.filter(action="withdraw")
    assert {(e.actor_id, e.note) for e in events} == {
        (person.pk, "The author's account was erased.")
    }
