"""The bench's bulk loader (bench/database.py, `load_reviews`) against the real test database:
the rows it COPYs are rows the product accepts, and the table it leaves has every index and
constraint it had, validated against those rows.

Small (a few thousand reviews) so it runs in seconds in `make test`; the same code loads ten
million in `python -m bench scale`.
"""

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from accounts.models import User
from bench import database
from bench.dataset import USE_CASES, DatasetSpec, ModelRef, Texts
from bench.scale import COUNTED_SHARE, ladder_fractions
from reviews.models import USE_CASE_BITS, Review
from reviews.ratings.check import ratings_check
from reviews.ratings.summary import counted_reviews
from tests.factories import AIModelFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)
REVIEWS = 4_000


def _catalog_committed_as_in_the_bench() -> None:
    """The bench loads after the catalog's transaction has committed; in a test's
    transaction the catalog's deferred foreign key checks run now instead (a table with
    pending trigger events cannot be altered, and the loader re-adds foreign keys to it)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _schema(table: str) -> dict[str, Any]:
    """The table's indexes and constraints, by name, with their definitions."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        indexes = dict(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
            "WHERE conrelid = %s::regclass",
            [table],
        )
        constraints = {name: (definition, valid) for name, definition, valid in cursor.fetchall()}
    return {"indexes": indexes, "constraints": constraints}


@pytest.fixture
def loaded():
    assert not Review.objects.exists() and not User.objects.exists()
    refs = [
        ModelRef(id=m.id, slug=m.slug, version_slug=m.version_slug)
        for m in AIModelFactory.create_batch(12)
    ]
    _catalog_committed_as_in_the_bench()
    before = {t: _schema(t) for t in ("reviews_review", "accounts_user")}
    # The scale run's ladder: the top rung sized for a model with 500 counted reviews.
    spec = DatasetSpec(reviews=REVIEWS, now=NOW, ladder_fractions=ladder_fractions(REVIEWS, 500))
    the_plan, timings = database.load_reviews(spec, refs, Texts.load(None))
    return refs, the_plan, timings, before


def test_loader_copies_every_row_and_rebuilds_every_index_and_constraint(loaded):
    _, the_plan, timings, before = loaded
    # then every review and user is there, in id order from 1
    assert Review.objects.count() == REVIEWS
    assert User.objects.count() == the_plan.users
    assert min(Review.objects.values_list("id", flat=True)) == 1
    # and the tables have exactly the indexes and constraints they had, all validated
    for table, schema in before.items():
        after = _schema(table)
        assert after["indexes"] == schema["indexes"], table
        assert after["constraints"] == schema["constraints"], table
        assert all(valid for _, valid in after["constraints"].values())
    assert timings["copy_reviews_s"] > 0 and timings["reviews_per_s"] > 0


def test_loaded_rows_are_rows_the_product_accepts(loaded):
    refs, the_plan, _, _ = loaded
    # then a sample passes the model's own validation (fields, checks, uniqueness)
    for review in Review.objects.order_by("?")[:25]:
        review.full_clean()
    # and the generated column holds the bits of each review's use cases
    for review in Review.objects.all()[:500]:
        expected = sum(USE_CASE_BITS[u] for u in review.use_cases)
        assert review.use_case_mask == expected
        assert set(review.use_cases) <= set(USE_CASES)
    # and the statuses and states are the ones the product defines, in the planned mix
    statuses = Counter(Review.objects.values_list("status", flat=True))
    assert set(statuses) == {"published", "pending", "rejected", "hidden", "withdrawn"}
    assert Review.objects.filter(status="pending", queued_at__isnull=True).count() == 0
    assert Review.objects.filter(status="published", published_at__isnull=True).count() == 0
    assert Review.objects.filter(usage_verified=True).exists()
    # and the counted share is the one the scale run sizes its top rung with
    counted = counted_reviews().count()
    assert counted / REVIEWS == pytest.approx(COUNTED_SHARE, abs=0.03)
    top = refs[the_plan.ladder[-1]]
    assert counted_reviews().filter(model_id=top.id).count() == pytest.approx(500, rel=0.1)


def test_loaded_rows_recompute_to_ratings_the_check_agrees_with(loaded):
    # given the loaded reviews, when every rating is recomputed
    from bench.recompute import recompute_all

    recompute_all()
    # then the periodic check finds nothing to correct
    assert ratings_check() == []


def test_loader_row_by_row_keeps_every_index_during_the_copy():
    # given the path `bench run` takes (bulk=False: indexes maintained during the COPY)
    refs = [ModelRef(id=m.id, slug=m.slug) for m in AIModelFactory.create_batch(4)]
    before = _schema("reviews_review")
    # when it loads
    _, timings = database.load_reviews(
        DatasetSpec(reviews=500, now=NOW), refs, Texts.load(None), bulk=False
    )
    # then the rows are there and nothing was dropped or rebuilt
    assert Review.objects.count() == 500
    assert timings["rebuild_reviews_s"] == 0.0
    assert _schema("reviews_review") == before
