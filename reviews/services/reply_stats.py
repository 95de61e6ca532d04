"""Reply rate and median time to reply per provider: computed by a beat task, read as
stored rows (never aggregated on a request), like the ratings."""

import datetime as dt
import statistics
from collections import defaultdict

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from reviews.models import ProviderReplyStats, ReplyStatus, Review, ReviewReply, ReviewStatus
from reviews.selectors import REPLY_STATS_WINDOW_DAYS


@transaction.atomic
def reply_stats_refresh(*, now: dt.datetime | None = None) -> int:
    """Recompute every provider's reply figures over the last REPLY_STATS_WINDOW_DAYS from
    the reviews published in the window and the providers' published replies (idempotent:
    recomputed from the source, nothing incremented). Rows of providers with no review in
    the window are removed. Returns how many rows it stored."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=REPLY_STATS_WINDOW_DAYS)
    replies = ReviewReply.objects.filter(
        review=OuterRef("pk"), provider=OuterRef("model__provider"), status=ReplyStatus.PUBLISHED
    )
    rows = (
        Review.objects.filter(status=ReviewStatus.PUBLISHED, published_at__gte=since)
        .annotate(replied_at=Subquery(replies.values("created_at")[:1]))
        .values_list("model__provider_id", "published_at", "replied_at")
    )
    published: dict[int, int] = defaultdict(int)
    waits: dict[int, list[float]] = defaultdict(list)
    for provider_id, published_at, replied_at in rows:
        published[provider_id] += 1
        if replied_at is not None:
            # A reply to a review published again later (after a hide) counts as immediate.
            waits[provider_id].append(max((replied_at - published_at).total_seconds(), 0.0))
    for provider_id, count in published.items():
        answered = waits[provider_id]
        ProviderReplyStats.objects.update_or_create(
            provider_id=provider_id,
            defaults={
                "window_days": REPLY_STATS_WINDOW_DAYS,
                "reviews_published": count,
                "reviews_replied": len(answered),
                "reply_rate": len(answered) / count,
                "median_reply_seconds": round(statistics.median(answered)) if answered else None,
                "computed_at": now,
            },
        )
    ProviderReplyStats.objects.exclude(provider_id__in=list(published)).delete()
    return len(published)
