"""What the reviews app adds to GET /api/v1/me/export/ and removes on DELETE /api/v1/me/."""

from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import CharField, JSONField, Q, TextField
from django.db.models.functions import Cast
from django.test.utils import CaptureQueriesContext

from accounts.selectors import user_export_get
from reviews.models import HelpfulVote, ModerationAction, ModerationEvent, Report, Review
from reviews.services import report_create, review_reject, review_update, vote_set
from tests.conftest import PERSONA_PASSWORD, make_user
from tests.factories import AIModelFactory
from tests.references import model_ref
from tests.reviews.conftest import BODY

pytestmark = pytest.mark.django_db

# Strings the person writes, each unique, to look for in every column after erasure.
WRITTEN = {
    "title": "Quokka title",
    "body": BODY + " Quokka body.",
    "pros": "Quokka pros",
    "cons": "Quokka cons",
    "edited_title": "Axolotl title",
    "edited_body": BODY + " Axolotl body.",
    "note": "Okapi note about this review",
}


@pytest.fixture
def history(
    verified: Any, other_verified: Any, moderator: Any, create_review: Any, publish: Any
) -> dict[str, Any]:
    """The person (verified) wrote a review that was published then edited (the edit waits),
    a second one that was rejected; they voted on and reported another person's review."""
    person = verified.user
    mine = publish(
        create_review(
            person,
            title=WRITTEN["title"],
            body=WRITTEN["body"],
            pros=WRITTEN["pros"],
            cons=WRITTEN["cons"],
        )
    )
    review_update(
        review=mine,
        author=person,
        changes={"title": WRITTEN["edited_title"], "body": WRITTEN["edited_body"]},
    )
    rejected = create_review(person, model=AIModelFactory(), title="Second of mine")
    review_reject(review=rejected, moderator=moderator.user, reason="off_topic", note="Mod note")
    theirs = publish(create_review(other_verified.user, title="Someone else's title"))
    vote_set(review=theirs, voter=person, helpful=True)
    report_create(review=theirs, reporter=person, reason="spam", note=WRITTEN["note"])
    return {"mine": mine, "rejected": rejected, "theirs": theirs}


def test_export_holds_reviews_with_revisions_votes_reports_and_moderation(
    verified: Any, other_verified: Any, moderator: Any, history: dict[str, Any]
) -> None:
    # when the person exports their data
    response = verified.client.get("/api/v1/me/export/")

    # then their reviews are there, each with every revision's text
    assert response.status_code == 200
    sections = response.json()["apps"]
    reviews = {r["id"]: r for r in sections["reviews"]}
    mine = reviews[str(history["mine"].public_id)]
    assert (mine["status"], mine["title"], mine["pros"]) == (
        "published",
        "Quokka title",
        "Quokka pros",
    )
    assert [(r["number"], r["state"], r["title"]) for r in mine["revisions"]] == [
        (1, "accepted", WRITTEN["title"]),
        (2, "pending", WRITTEN["edited_title"]),
    ]
    assert mine["revisions"][1]["body"] == WRITTEN["edited_body"]
    # named as the API names them: the model by its reference object, the stars as `stars`
    assert mine["model"] == model_ref(
        history["mine"].model.slug, history["mine"].model.name, origin=settings.API_ORIGIN
    )
    assert (mine["stars"], mine["revisions"][0]["stars"]) == (4, 4)
    assert "rating" not in mine and "rating" not in mine["revisions"][0]
    assert reviews[str(history["rejected"].public_id)]["status"] == "rejected"
    # and the vote and the report, naming the other person's review by its public id only
    theirs = str(history["theirs"].public_id)
    assert [{**v, "created_at": None, "updated_at": None} for v in sections["helpful_votes"]] == [
        {"review": theirs, "helpful": True, "created_at": None, "updated_at": None}
    ]
    [report] = sections["reports"]
    assert (report["review"], report["reason"], report["note"], report["state"]) == (
        theirs, "spam", WRITTEN["note"], "open",
    )  # fmt: skip
    assert set(report) == {"review", "reason", "note", "state", "created_at", "resolved_at"}
    # and the moderation of their reviews: what, why and when, never which moderator
    trail = [
        (e["review"], e["by"], e["action"], e["reason"]) for e in sections["moderation_events"]
    ]
    mine_id, rejected_id = str(history["mine"].public_id), str(history["rejected"].public_id)
    assert trail == [
        (mine_id, "you", "submit", ""),
        (mine_id, "moderator", "verify", ""),
        (mine_id, "you", "edit", ""),
        (rejected_id, "you", "submit", ""),
        (rejected_id, "moderator", "reject", "off_topic"),
    ]
    # and nothing personal about anyone else
    text = response.content.decode()
    for other in (other_verified.user, moderator.user):
        for value in (other.email, other.username, other.display_name):
            assert value and value not in text
    assert all(not {"actor", "actor_id"} & set(e) for e in sections["moderation_events"])
    assert "Someone else's title" not in text


def test_export_runs_the_same_queries_for_many_rows(
    verified: Any, other_verified: Any, create_review: Any, publish: Any
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            user_export_get(verified.user)
        return len(captured)

    def add_history() -> None:
        mine = publish(create_review(verified.user, model=AIModelFactory()))
        review_update(review=mine, author=verified.user, changes={"title": "Edited"})
        theirs = publish(create_review(other_verified.user, model=AIModelFactory()))
        vote_set(review=theirs, voter=verified.user, helpful=False)
        report_create(review=theirs, reporter=verified.user, reason="spam")

    add_history()
    few = queries()
    for _ in range(3):
        add_history()
    assert queries() == few


def _rows_holding(text: str) -> list[str]:
    """`app.Model.field` of every stored text or JSON value (any table) containing `text`."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, (CharField, TextField)):
                rows = model._default_manager.filter(Q(**{f"{field.attname}__contains": text}))
            elif isinstance(field, JSONField):
                as_text = Cast(field.attname, TextField())
                rows = model._default_manager.annotate(_t=as_text).filter(_t__contains=text)
            else:
                continue
            if rows.exists():
                found.append(f"{model._meta.label}.{field.name}")
    return found


def test_erasure_removes_every_text_the_person_wrote_and_keeps_the_trail(
    verified: Any, history: dict[str, Any]
) -> None:
    # given the texts are stored (the scan finds them)
    assert _rows_holding(WRITTEN["edited_title"]) == ["reviews.ReviewRevision.title"]
    events_before = set(ModerationEvent.objects.values_list("id", "action", "reason"))

    # when the person erases their account
    response = verified.client.delete("/api/v1/me/", {"password": PERSONA_PASSWORD}, format="json")
    assert response.status_code == 204

    # then no row anywhere holds a title, body, pros, cons or report note they wrote
    for text in WRITTEN.values():
        assert _rows_holding(text.removeprefix(BODY)) == [], text
    # and their reviews are withdrawn, kept as rows with their stars and dates
    mine = Review.objects.get(pk=history["mine"].pk)
    assert (mine.status, mine.title, mine.body, mine.rating) == ("withdrawn", "", "", 4)
    assert str(mine.author) == "deleted account"
    # and the moderation trail keeps every action, reason and date, plus the withdrawals
    events_after = set(ModerationEvent.objects.values_list("id", "action", "reason"))
    assert events_before < events_after
    withdrawals = ModerationEvent.objects.filter(action=ModerationAction.WITHDRAW)
    assert withdrawals.filter(review__author=verified.user).count() == 2
    # and the report and vote stay, as anonymous counts of what the reviewed review got
    report = Report.objects.get(reporter=verified.user)
    assert (report.reason, report.note) == ("spam", "")
    assert HelpfulVote.objects.filter(review=history["theirs"]).count() == 1
    assert Review.objects.get(pk=history["theirs"].pk).helpful_count == 1


def test_erasure_leaves_other_peoples_texts(other_verified: Any, history: dict[str, Any]) -> None:
    someone = make_user()
    report_create(review=history["theirs"], reporter=someone, reason="spam", note="Their note")
    from accounts.services import user_erase

    user_erase(user=history["mine"].author)
    assert Review.objects.get(pk=history["theirs"].pk).title == "Someone else's title"
    assert Report.objects.get(reporter=someone).note == "Their note"
