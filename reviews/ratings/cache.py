"""Rendered rating responses in the shared cache: a warm read of the body is one cache GET
and no query (the view's throttle adds one script call on its counter, none for a 304).

Consistency without locks. The store (store.py) calls `rating_cache_refresh` after the
transaction that stored new summaries commits; it reads the committed rows, so whichever
refresh runs last writes the newest summary. A reader that missed fills the entry with `cache.add`,
which never replaces an entry that exists: a reader holding an older row cannot overwrite a
refresh. Entries are keyed by the model's own slug (the only name the pipeline knows);
aliases and variants are read from the database. A cache outage falls back to the database.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponseBase
from rest_framework.exceptions import Throttled
from rest_framework.renderers import JSONRenderer

from config.fast_reads import DirectRead
from config.redis_health import fallback_log
from config.throttles import read_charged
from models_catalog.models import AIModel
from reviews.models import ModelRating
from reviews.ratings.selectors import ModelRatingView, model_rating_get
from reviews.ratings.types import RatingSummary

logger = logging.getLogger(__name__)
# A safety net: every store refreshes its entry, so the expiry only bounds how long an entry
# nobody refreshes can live (a slug renamed by an editor, a refresh the cache refused, a
# database reset under a kept cache). Short, since a cold read is one query.
ENTRY_TIMEOUT = 60
# Bumped with RenderedRating's fields: an entry pickled by an older release is never read.
ENTRY_FORMAT = 3  # 3: RenderedRating moved to reviews.ratings.cache
REFRESH_BATCH = 200  # entries a cache round trip; a full rebuild refreshes every model


@dataclass(frozen=True)
class RenderedRating:
    etag: str
    last_modified: int | None  # Unix seconds; None before the first computation
    body: bytes


def _key(slug: str) -> str:
    # The method version is in the key: entries rendered by an older method are never served.
    return f"rating:{ENTRY_FORMAT}:{settings.RATING_METHOD_VERSION}:{slug}"


def rating_payload(rating: ModelRating) -> dict[str, Any]:
    """The body of the rating endpoint, read straight off the stored row (no serializer run:
    a millisecond a model, which a full rebuild's cache refresh pays 400 times)."""
    return RatingSummary.from_row(rating).payload()


def rating_render(view: ModelRatingView) -> RenderedRating:
    computed_at = view.last_modified
    return RenderedRating(
        etag=view.etag,
        last_modified=int(computed_at.timestamp()) if computed_at is not None else None,
        body=JSONRenderer().render(rating_payload(view.rating)),
    )


def rating_rendered_get(slug: str) -> RenderedRating:
    """The rendered rating of the model a slug, alias or variant names. Raises ModelNotFound."""
    try:
        # With the throttle's counter, when the view deferred it here (one round trip).
        entry = read_charged([_key(slug)]).get(_key(slug))
    except Throttled:
        raise
    except Exception:
        # Down or hanging: read the database, and do not wait on the cache a second time.
        fallback_log(logger, "rating cache unreachable; reading the database")
        return rating_render(model_rating_get(slug=slug))
    if isinstance(entry, RenderedRating):
        return entry
    view = model_rating_get(slug=slug)
    rendered = rating_render(view)
    if view.model.slug == slug:
        rating_cache_fill(slug, rendered)
    return rendered


def rating_direct(slug: str, respond: Callable[[RenderedRating], HttpResponseBase]) -> DirectRead:
    """The rating's direct read (config.fast_reads): the entry rating_rendered_get serves
    when it is kept (the model's own slug), answered by `respond`; a miss falls back."""
    key = _key(slug)

    def answer(found: dict[str, Any]) -> HttpResponseBase | None:
        entry = found.get(key)
        return respond(entry) if isinstance(entry, RenderedRating) else None

    return DirectRead(keys=[key], answer=answer, conditional_keys=[key], conditional_answer=answer)


def rating_cache_fill(slug: str, rendered: RenderedRating) -> None:
    """Keep what a reader rendered, unless an entry exists (a refresh may have written a
    newer summary since this reader read its row)."""
    _cache_call(cache.add, _key(slug), rendered, ENTRY_TIMEOUT)


def _cache_call(method: Any, *args: Any) -> bool:
    try:
        method(*args)
    except Exception:
        fallback_log(logger, "rating cache unreachable; entry not written")
        return False
    return True


def rating_cache_refresh(model_ids: Iterable[int]) -> None:
    """Render the committed summaries of these models into the cache (one query). If the
    cache refuses, drop the old entries instead, so readers go to the database; if it
    refuses that too, the old entries expire within ENTRY_TIMEOUT."""
    models = AIModel.objects.filter(pk__in=list(model_ids)).select_related("rating")
    entries = {_key(model.slug): rating_render(ModelRatingView.of(model)) for model in models}
    for start in range(0, len(entries), REFRESH_BATCH):
        batch = dict(list(entries.items())[start : start + REFRESH_BATCH])
        if not _cache_call(cache.set_many, batch, ENTRY_TIMEOUT):
            _cache_call(cache.delete_many, list(batch))
