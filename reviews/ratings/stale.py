"""The stale mark and the fast path: mark in the change's transaction, enqueue after commit.

The mark in the database is the record; the task is only the fast path. If a publish is
lost (broker down, cache down, worker killed), the model stays marked and the beat sweep
re-enqueues it.
"""

import datetime as dt
import functools
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from config.enqueue import publish, task_name
from config.redis_health import fallback_log
from models_catalog.models import AIModel
from models_catalog.services import model_documents_invalidate
from reviews.models import ModelRatingState, Review

logger = logging.getLogger(__name__)
SWEEP_BATCH = 1000  # models re-enqueued per sweep tick; the next tick takes the rest
RATING_RECOMPUTE_TASK = task_name("reviews.tasks.rating_recompute_task")


def _mark_existing(model_id: int) -> int:
    now = timezone.now()
    # One UPDATE, so concurrent markers serialise on the row lock and each increments
    # `change_seq` once (never read-modify-write). `stale_since` keeps the time the rating
    # first went stale; a fresh row starts a new stale period now.
    return ModelRatingState.objects.filter(pk=model_id).update(
        stale=True,
        stale_since=Case(
            When(stale=True, stale_since__isnull=False, then=F("stale_since")),
            default=Value(now),
        ),
        change_seq=F("change_seq") + 1,
    )


def rating_mark_stale(model_id: int, *, authors: Iterable[int] | None = None) -> None:
    """Mark the model's rating stale: `stale=True`, `stale_since` set if it was fresh, and
    `change_seq` incremented. Creates the row on first use. Safe under concurrency on
    PostgreSQL and SQLite; call it inside the transaction that changed the reviews.
    After that transaction commits, `rating_enqueue(model_id)` runs (coalesced, never raises).
    `authors`: the authors whose published reviews changed, when the caller knows them (the
    reviewer facts of only their reviews are invalidated); None invalidates every model's.
    """
    if not _mark_existing(model_id):
        try:
            # A savepoint: if a concurrent transaction inserts the row first, our INSERT waits
            # for it, fails on the primary key, and only the savepoint rolls back.
            with transaction.atomic():
                ModelRatingState.objects.create(
                    model_id=model_id, stale=True, stale_since=timezone.now(), change_seq=1
                )
        except IntegrityError:
            _mark_existing(model_id)
    published_documents_invalidate(model_id, authors=authors)
    # robust: even an unexpected error here must not stop the transaction's other callbacks
    # (the outcome mail); the stale mark is already committed and the sweep covers it.
    transaction.on_commit(functools.partial(rating_enqueue, model_id), robust=True)


def published_documents_invalidate(model_id: int, *, authors: Iterable[int] | None) -> None:
    """What a change of the model's published reviews shows in: its reviews pages (and the
    bundle's reviews part), and (a published count) the reviewer facts beside the authors'
    reviews of other models; of every model when the authors are unknown (None). Not the
    model page: it shows only what is stored from the reviews (the rating, the versions'
    counts, the highlights), whose writers invalidate it when they store. Call it inside
    the transaction."""
    if authors is None:
        model_documents_invalidate([model_id], reviewers=True, reviews_only=True)
    else:
        slugs = _reviewed_model_slugs(model_id, authors)
        model_documents_invalidate(slugs, reviews_only=True, slugs=slugs)


def _reviewed_model_slugs(model_id: int, authors: Iterable[int]) -> dict[int, str]:
    """The model and those whose reviews pages may show these authors' published counts
    (their reviews' models in any state), by id with their slugs: one query. Any state, not
    only published: a concurrent transaction that publishes another review of the same
    author has not committed yet, but its row exists (reviews are created pending, committed
    before any publication), so each of the two transactions bumps the other's model too and
    neither page keeps a stale count."""
    reviewed = Review.objects.filter(author_id__in=list(authors)).values("model_id")
    models = AIModel.objects.filter(Q(pk=model_id) | Q(pk__in=reviewed))
    return dict(models.values_list("pk", "slug"))


def _pending_key(model_id: int) -> str:
    return f"rating:pending:{model_id}"


def _claim_publish(model_id: int, debounce: float) -> bool:
    """True if this caller should publish: no recompute of the model is already pending."""
    try:
        return bool(cache.add(_pending_key(model_id), 1, timeout=debounce))
    except Exception:
        # Cache down (usually Redis, like the broker): publish anyway, uncoalesced; if the
        # broker is down too, the publish fails quickly and the sweep covers the model.
        fallback_log(logger, "rating debounce cache unreachable; publishing uncoalesced")
        return True


def _burst_key(model_id: int) -> str:
    return f"rating:burst:{model_id}"


def _window(model_id: int) -> int:
    """Seconds the next recompute of the model waits for more changes: RATING_DEBOUNCE_SECONDS,
    or RATING_BURST_DEBOUNCE_SECONDS while changes to it keep arriving faster than that (some
    were coalesced within the last two burst windows). An isolated change shows after the
    short window; a sustained burst costs one recompute per long window."""
    debounce = settings.RATING_DEBOUNCE_SECONDS
    try:
        in_burst = cache.get(_burst_key(model_id)) is not None
    except Exception:
        return debounce  # the claim below will find the cache down too and publish
    return max(debounce, settings.RATING_BURST_DEBOUNCE_SECONDS) if in_burst else debounce


def _note_coalesced(model_id: int) -> None:
    try:
        cache.add(_burst_key(model_id), 1, timeout=2 * settings.RATING_BURST_DEBOUNCE_SECONDS)
    except Exception:
        fallback_log(logger, "could not note a rating burst of %s", model_id)


def _release_claim(model_id: int) -> None:
    try:
        cache.delete(_pending_key(model_id))
    except Exception:
        # The key then simply expires after the debounce; the sweep covers the model.
        fallback_log(logger, "could not clear the rating debounce key of %s", model_id)


def rating_enqueue(model_id: int) -> bool:
    """Publish `rating_recompute_task(model_id)` with a countdown of the model's coalescing
    window (`_window`), unless one is already pending. Never raises; True if published.

    Coalescing is correct, not only cheap: a caller skips only while the pending key lives,
    and the key expires no later than the pending task's ETA (set after the key, with the
    same delay), so that task reads `change_seq` after the skipped caller's commit.
    """
    debounce = _window(model_id)
    if not _claim_publish(model_id, debounce):
        _note_coalesced(model_id)
        return False
    # No publish retries: the stale mark in the database is the record and the sweep publishes
    # again, so a broker outage costs a request one attempt, not a retry loop.
    published = publish(RATING_RECOMPUTE_TASK, (model_id,), countdown=debounce, retry=False)
    if not published:
        # Let the next change (or the sweep) try again instead of waiting out the key.
        _release_claim(model_id)
    return published


def rating_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Re-enqueue every model stale for longer than RATING_STALE_SWEEP_AFTER seconds, oldest
    first (at most SWEEP_BATCH per call): the recovery path for lost tasks and broker
    outages. Returns the model ids found stale."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=settings.RATING_STALE_SWEEP_AFTER)
    stale = (
        ModelRatingState.objects.filter(stale=True, stale_since__lte=cutoff)
        .order_by("stale_since")
        .values_list("model_id", flat=True)[:SWEEP_BATCH]
    )
    model_ids = list(stale)
    for model_id in model_ids:
        rating_enqueue(model_id)
    if model_ids:
        logger.info("rating sweep re-enqueued %d stale model(s)", len(model_ids))
    return model_ids
