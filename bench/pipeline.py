"""Steps 4 and 5: the rating pipeline with a real Celery worker on the real Redis broker.

Freshness: a moderator verifies a pending review through the service (as the moderation API
does); the clock starts when that transaction commits (an on-commit hook registered before
the service's own, so it runs first) and stops when the public rating endpoint, polled over
HTTP, shows the new review count.

Burst: a thousand moderation changes to one model as fast as one client can make them
(hide and restore cycles over its published reviews); then how many recomputes ran (the
pipeline's own counter) and how long after the last commit the stored summary was exact
(`recompute_ratings --check --model`).
"""

import json
import math
import random
import statistics
import time
from typing import Any

from django.conf import settings
from django.db import transaction

from bench.progress import BenchError, say
from bench.read import http_get, model_path

POLL_INTERVAL_S = 0.01
VISIBLE_TIMEOUT_S = 60.0
# Passes over the burst's reviews, hide then restore then hide...: odd, so the last pass
# hides and the burst leaves the summary different from before (else the old one is exact).
BURST_PASSES = 25


def moderator() -> Any:
    """The bench's moderator: a verified address (the role requires one) and the role."""
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from accounts.services import moderator_grant

    email = "bench-moderator@example.org"
    user, _ = User.objects.get_or_create(username="bench-moderator", defaults={"email": email})
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    moderator_grant(user=user)
    return user


def rating_review_count(port: int, slug: str) -> int:
    status, _, body = http_get(port, f"/api/v1/models/{model_path(slug)}/rating/")
    if status != 200:
        raise BenchError(f"rating endpoint of {slug} answered {status}: {body[:300]!r}")
    return int(json.loads(body)["review_count"])


def _wait_count(port: int, slug: str, expected: int) -> float:
    deadline = time.perf_counter() + VISIBLE_TIMEOUT_S
    while time.perf_counter() < deadline:
        if rating_review_count(port, slug) >= expected:
            return time.perf_counter()
        time.sleep(POLL_INTERVAL_S)
    raise BenchError(
        f"the rating of {slug} did not reach {expected} reviews within {VISIBLE_TIMEOUT_S:.0f}s "
        "of the verification's commit: is the worker consuming the ratings queue?"
    )


def _verify_timed(review: Any, by: Any) -> float:
    from reviews.services import review_verify

    committed: list[float] = []
    with transaction.atomic():
        # Registered before the service's own hooks (the task enqueue), so it runs first.
        transaction.on_commit(lambda: committed.append(time.perf_counter()))
        review_verify(review=review, moderator=by)
    return committed[0]


def _pending_sample(n: int, seed: int) -> list[Any]:
    from reviews.models import Review, ReviewStatus

    ids = list(
        Review.objects.filter(
            status=ReviewStatus.PENDING, conflict_of_interest=False, has_pending_edit=False
        ).values_list("id", flat=True)
    )
    if len(ids) < n:
        raise BenchError(f"only {len(ids)} pending reviews to verify, {n} needed")
    chosen = random.Random(seed).sample(ids, n)
    by_id = Review.objects.select_related("model").in_bulk(chosen)
    return [by_id[i] for i in chosen]


def _percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample at or above pct % of them."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def freshness(port: int, n: int, seed: int) -> dict[str, Any]:
    """n verifications, one after another, each of a pending review picked at random (so a
    model is picked as often as it gets reviews)."""
    by = moderator()
    samples = []
    for i, review in enumerate(_pending_sample(n, seed), 1):
        slug = review.model.slug
        before = rating_review_count(port, slug)
        committed = _verify_timed(review, by)
        visible = _wait_count(port, slug, before + 1)
        samples.append(visible - committed)
        if i % max(n // 5, 1) == 0:
            say(f"  {i}/{n} verifications, last {samples[-1] * 1000:.0f} ms")
    return {
        "verifications": n,
        # Every enqueue waits this long before the recompute runs (coalescing window).
        "debounce_s": settings.RATING_DEBOUNCE_SECONDS,
        "p50_s": round(statistics.median(samples), 4),
        "p90_s": round(_percentile(samples, 90), 4),
        "p99_s": round(_percentile(samples, 99), 4),
        "max_s": round(max(samples), 4),
        "mean_s": round(statistics.fmean(samples), 4),
        "samples_s": [round(s, 4) for s in samples],
    }


def recompute_count(model_id: int) -> int:
    """How many recomputes of this model have run (the pipeline's own counter)."""
    from reviews.models import ModelRating

    row = ModelRating.objects.filter(model_id=model_id).values("recompute_count").first()
    return row["recompute_count"] if row else 0


def summary_correct(model_id: int) -> bool:
    """What `recompute_ratings --check --model SLUG` decides: the stored summary equals a
    recompute of the current reviews (counts exact, floats to 1e-9)."""
    from reviews.ratings import ratings_check

    return not ratings_check([model_id])


def _broker_drained() -> bool:
    """No task waiting in a queue, none reserved by the worker (kombu's `unacked` hash
    holds delivered, unacknowledged ones, countdown tasks included)."""
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        waiting = sum(client.llen(q) for q in ("default", "mail", "ratings"))
        return waiting == 0 and client.hlen("unacked") == 0
    finally:
        client.close()


def _wait(condition: Any, timeout: float, what: str, interval: float = 0.05) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return time.perf_counter()
        time.sleep(interval)
    raise BenchError(f"{what} not reached within {timeout:.0f}s")


def _counted(model_id: int) -> Any:
    """The model's reviews that count in its rating."""
    from reviews.models import Review, ReviewStatus

    return Review.objects.filter(
        model_id=model_id, status=ReviewStatus.PUBLISHED, conflict_of_interest=False
    )


def _burst_reviews(model_id: int, k: int) -> list[Any]:
    reviews = list(_counted(model_id).order_by("id")[:k])
    if len(reviews) < k:
        raise BenchError(f"model {model_id} has only {len(reviews)} counted reviews, {k} needed")
    return reviews


def burst(model_id: int, slug: str, changes: int) -> dict[str, Any]:
    """`changes` moderation changes to one model, each its own transaction: its first
    changes / BURST_PASSES published reviews hidden one by one, then restored one by one, and
    so on (1,000 changes: 40 reviews, 25 passes, 40 fewer counted reviews at the end)."""
    from reviews.services import review_hide, review_restore

    by = moderator()
    reviews = _burst_reviews(model_id, max(changes // BURST_PASSES, 1))
    count_before = recompute_count(model_id)
    counted_before = _counted(model_id).count()
    started = time.perf_counter()
    for i in range(changes):
        review = reviews[i % len(reviews)]
        if (i // len(reviews)) % 2 == 0:
            review_hide(review=review, moderator=by, reason="spam")
        else:
            review_restore(review=review, moderator=by)
    last_commit = time.perf_counter()
    say(f"  {changes} changes in {last_commit - started:.2f} s; waiting for an exact summary")
    correct_at = _wait(lambda: summary_correct(model_id), 120, "an exact summary after the burst")
    _wait(_broker_drained, 120, "an empty queue after the burst")
    time.sleep(1.0)  # a recompute that was already running finishes and counts
    if not summary_correct(model_id):
        raise BenchError(f"the summary of {slug} was exact, then wrong again after the burst")
    recomputes = recompute_count(model_id) - count_before
    return {
        "model": slug,
        "changes": changes,
        "reviews_cycled": len(reviews),
        "counted_before": counted_before,
        "counted_after": _counted(model_id).count(),
        "debounce_s": settings.RATING_DEBOUNCE_SECONDS,
        "changes_duration_s": round(last_commit - started, 3),
        "changes_per_s": round(changes / (last_commit - started), 1),
        "recomputes": recomputes,
        "time_to_correct_s": round(correct_at - last_commit, 4),
        "time_to_correct_from_first_change_s": round(correct_at - started, 4),
    }
