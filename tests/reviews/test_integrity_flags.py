"""Duplicate and ring signals (issue 13): pg_trgm near-duplicates and accounts created
together, flagged with evidence in the moderation queue; flags never reject anything.

The scan runs after commit (a task; tests/reviews/test_integrity_scan.py has the task, the
real worker and the sweep): here each review is created and then scanned by the task's
service, as the worker would."""

import datetime as dt
import logging

import pytest
from django.db import connection
from django.utils import timezone

from reviews.integrity.scan import integrity_scan_run
from reviews.integrity.similarity import review_scan
from reviews.models import IntegrityFlag
from tests.conftest import make_user
from tests.reviews.conftest import moderation_url

pytestmark = pytest.mark.django_db

TEXT = (
    "This model is a disaster for production work: it hallucinates function names, ignores "
    "instructions and costs far more than it is worth. Avoid it for anything serious."
)
NEAR_COPY = TEXT.replace("a disaster", "a real disaster").replace("Avoid it", "Please avoid it")
OTHER = (
    "We summarise legal contracts with it every day; long documents are handled well, the "
    "citations are accurate and latency stays under two seconds for most requests."
)


@pytest.fixture
def create_scanned(create_review):
    """`create_scanned(author, **content)`: a review through `review_create`, then its scan
    (what the task runs after commit)."""

    def create(author, **content):
        review = create_review(author, **content)
        assert integrity_scan_run(review.pk)
        return review

    return create


def _apart(days: int) -> object:
    """An account that joined `days` ago (so never "created together" with the others)."""
    return make_user(date_joined=timezone.now() - dt.timedelta(days=days))


def test_pg_trgm_exists_and_no_trigram_index_taxes_review_writes():
    # similarity() needs pg_trgm; no query reads a trigram index on bodies (the scan scores a
    # bounded set of candidates), so none is kept (reviews/migrations/0014)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() == (1,)
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'reviews_review' "
            "AND indexdef LIKE '%%gin_trgm_ops%%'"
        )
        assert cursor.fetchall() == []


def test_near_copy_by_another_account_flags_both_with_the_score(create_scanned):
    first = create_scanned(_apart(100), body=TEXT)
    second = create_scanned(_apart(200), body=NEAR_COPY)

    flag = IntegrityFlag.objects.get(review=second, kind="near_duplicate")
    assert flag.similar_review_id == first.pk
    assert 0.6 <= flag.score < 1
    assert flag.evidence == {"similar_review": str(first.public_id), "same_author": False}
    back = IntegrityFlag.objects.get(review=first, kind="near_duplicate")
    assert (back.similar_review_id, back.score) == (second.pk, flag.score)


def test_different_texts_are_not_flagged(create_scanned):
    create_scanned(_apart(100), body=TEXT)
    other = create_scanned(_apart(200), body=OTHER)
    assert not IntegrityFlag.objects.filter(review=other).exists()


def test_the_threshold_is_configurable(create_scanned, settings):
    settings.INTEGRITY_SIMILARITY_THRESHOLD = 0.99
    create_scanned(_apart(100), body=TEXT)
    assert not IntegrityFlag.objects.filter(review=create_scanned(_apart(200), body=NEAR_COPY))


def test_the_authors_own_reviews_of_other_models_are_compared(create_scanned):
    from tests.factories import AIModelFactory

    author = _apart(100)
    first = create_scanned(author, model=AIModelFactory(), body=TEXT)
    second = create_scanned(author, body=NEAR_COPY)
    flag = IntegrityFlag.objects.get(review=second)
    assert (flag.similar_review_id, flag.evidence["same_author"]) == (first.pk, True)


def test_accounts_created_together_reviewing_one_model_are_a_ring(create_scanned, settings):
    settings.INTEGRITY_RING_MIN_ACCOUNTS = 3
    create_scanned(_apart(400), body=OTHER)
    first = create_scanned(make_user(), body=OTHER + " One.")
    create_scanned(make_user(), body=OTHER + " Two, with different words.")
    assert not IntegrityFlag.objects.filter(kind="account_ring").exists()  # two so far

    third = create_scanned(make_user(), body=TEXT)

    flag = IntegrityFlag.objects.get(kind="account_ring")
    assert (flag.review_id, flag.similar_review_id) == (third.pk, first.pk)
    assert flag.evidence["accounts"] == 3
    assert len(flag.evidence["reviews"]) == 2


def test_the_queue_preloads_each_flags_similar_review_with_its_author_and_model(
    create_scanned, django_assert_num_queries
):
    # The workbench names the similar review's title, author and model: preloaded in two
    # queries whatever the page's flags (none run when no item has a flag).
    from reviews.selectors import moderation_queue

    first = create_scanned(_apart(100), body=TEXT)
    create_scanned(_apart(200), body=NEAR_COPY)
    create_scanned(_apart(300), body=TEXT + " Again.")
    items = list(moderation_queue())
    with django_assert_num_queries(0):
        similar = [flag.similar_review for item in items for flag in item.flags]
        named = {(r.public_id, r.author.username, r.model.name) for r in similar}
    assert (first.public_id, first.author.username, first.model.name) in named


def test_flags_show_in_the_queue_with_evidence_and_never_reject(create_scanned, moderator):
    first = create_scanned(_apart(100), body=TEXT)
    second = create_scanned(_apart(200), body=NEAR_COPY)

    queue = moderator.client.get("/api/v1/moderation/queue/?flag=near_duplicate").json()
    items = {item["id"]: item for item in queue["results"]}
    assert set(items) == {str(first.public_id), str(second.public_id)}
    [flag] = items[str(second.public_id)]["integrity_flags"]
    assert (flag["kind"], flag["similar_review"]) == ("near_duplicate", str(first.public_id))
    assert flag["score"] >= 0.6
    assert items[str(second.public_id)]["status"] == "pending"
    assert items[str(second.public_id)]["integrity_scanned"] is True
    response = moderator.client.post(moderation_url(second.public_id, "verify"), {}, format="json")
    assert response.json()["status"] == "published"


def test_without_postgresql_the_near_duplicate_check_is_skipped_with_a_note(
    create_scanned, monkeypatch, caplog
):
    review = create_scanned(_apart(100), body=TEXT)
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with caplog.at_level(logging.INFO, logger="reviews.integrity.similarity"):
        assert review_scan(review) == []
    assert "skipped: needs PostgreSQL" in caplog.text


def test_an_appeal_is_scanned_like_a_new_review(create_scanned, moderator):
    from reviews.services import review_reject, review_update

    first = create_scanned(_apart(100), body=TEXT)
    appeal = create_scanned(_apart(200), body=OTHER)
    review_reject(review=appeal, moderator=moderator.user, reason="off_topic")
    assert not IntegrityFlag.objects.filter(review=appeal).exists()

    review_update(review=appeal, author=appeal.author, changes={"body": NEAR_COPY})
    assert integrity_scan_run(appeal.pk)  # the edit marked it due again

    flag = IntegrityFlag.objects.get(review=appeal)
    assert (flag.kind, flag.similar_review_id) == ("near_duplicate", first.pk)


def _similarity(a: str, b: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT similarity(%s, %s)::float8", [a, b])
        return float(cursor.fetchone()[0])


def test_a_pair_exactly_at_the_threshold_is_flagged(create_scanned, settings):
    # The `%` pre-filter runs at (just below) the threshold: it never drops a pair the exact
    # `similarity() >=` comparison keeps.
    settings.INTEGRITY_SIMILARITY_THRESHOLD = _similarity(TEXT, NEAR_COPY)
    create_scanned(_apart(100), body=TEXT)
    assert IntegrityFlag.objects.filter(review=create_scanned(_apart(200), body=NEAR_COPY))
