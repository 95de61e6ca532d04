"""The bench's synthetic review set: the invariants the loaded table relies on.

Pure Python (no database): the generator must keep the one-active-review-per-author-and-model
constraint, the status mix and the ladder sizes, or the benchmark measures something else.
"""

import datetime as dt
import itertools
from collections import Counter

import pytest

from bench.dataset import (
    STATUS_MIX,
    DatasetSpec,
    ModelRef,
    Texts,
    model_counts,
    plan,
    review_rows,
    user_rows,
)

NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)
MODELS = [ModelRef(id=100 + i, slug=f"p/m{i}", version_slug=f"p/m{i}-v1") for i in range(60)]


@pytest.fixture(scope="module")
def rows():
    spec = DatasetSpec(reviews=20_000, now=NOW)
    the_plan = plan(len(MODELS), spec)
    return spec, the_plan, list(review_rows(spec, MODELS, the_plan, Texts.load(None)))


def test_model_counts_sum_to_the_scale_with_an_exact_ladder():
    # given a million reviews over 414 models
    counts, ladder = model_counts(414, DatasetSpec(reviews=1_000_000, now=NOW))
    # then every review is placed, the ladder is 1k / 10k / 100k and the rest is a power law
    assert sum(counts) == 1_000_000
    assert [counts[i] for i in ladder] == [1_000, 10_000, 100_000]
    zipf = counts[len(ladder) :]
    assert zipf == sorted(zipf, reverse=True)
    assert zipf[0] > 100_000 > zipf[9] and zipf[0] / zipf[9] == pytest.approx(10, rel=0.01)


def test_plan_never_repeats_an_author_and_model_pair(rows):
    # given a planned review set
    _, the_plan, generated = rows
    # then each (author, model) pair occurs once, whatever the status
    pairs = Counter((r["author_id"], r["model_id"]) for r in generated)
    assert pairs.most_common(1)[0][1] == 1
    assert max(r["author_id"] for r in generated) <= the_plan.users


def test_review_rows_follow_the_status_mix_and_skew_toward_high_stars(rows):
    # given 20,000 generated reviews
    _, _, generated = rows
    statuses = Counter(r["status"] for r in generated)
    # then each status is within a point of its share, and the mean star is about 3.9
    for status, share in STATUS_MIX.items():
        assert statuses[status] / len(generated) == pytest.approx(share, abs=0.01)
    assert sum(r["conflict_of_interest"] for r in generated) / len(generated) == pytest.approx(
        0.03, abs=0.01
    )
    mean = sum(r["rating"] for r in generated) / len(generated)
    assert 3.5 < mean < 4.3


def test_review_rows_are_consistent_with_their_status(rows):
    # given generated reviews
    _, _, generated = rows
    # then ids follow creation time, pending ones are queued, public ones were published
    assert [r["id"] for r in generated] == list(range(1, len(generated) + 1))
    assert all(a["created_at"] <= b["created_at"] for a, b in itertools.pairwise(generated))
    for r in generated:
        assert (r["queued_at"] is not None) == (r["status"] == "pending")
        has_published = r["status"] in ("published", "hidden", "withdrawn")
        assert (r["published_at"] is not None) == has_published
        if has_published:
            assert r["created_at"] <= r["published_at"] <= NOW
        assert NOW - dt.timedelta(days=731) <= r["created_at"] <= NOW


def test_generation_is_deterministic_for_a_seed():
    spec = DatasetSpec(reviews=500, now=NOW)
    first = list(review_rows(spec, MODELS, plan(len(MODELS), spec), Texts.load(None)))
    again = list(review_rows(spec, MODELS, plan(len(MODELS), spec), Texts.load(None)))
    assert first == again


def test_users_have_unique_usernames_and_emails():
    users = list(user_rows(DatasetSpec(reviews=100, now=NOW), 300))
    assert len({u["username"] for u in users}) == len({u["email"].lower() for u in users}) == 300


def test_texts_fall_back_to_generated_ones_without_the_csv(tmp_path):
    texts = Texts.load(tmp_path / "missing.csv")
    assert texts.source == "generated" and all(texts.by_star[star] for star in range(1, 6))
