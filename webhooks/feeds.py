"""Atom feeds: newly published reviews per model and per provider, rating changes site-wide.

Django's syndication framework writes the Atom (RFC 4287) and sets `Last-Modified` from the
newest entry; ConditionalGetMiddleware, applied to these views only, adds a strong `ETag`
of the body and answers a repeated conditional request (`If-None-Match`,
`If-Modified-Since`) with 304. Review text is plain text: it is HTML-escaped before going
into the (HTML-typed) summary, so a feed reader shows `<b>` as written, never as markup.
"""

import datetime as dt
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.middleware.http import ConditionalGetMiddleware
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.decorators import decorator_from_middleware
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, linebreaks

from config.exceptions import NotFound
from events.models import Event
from models_catalog.models import AIModel, Provider
from models_catalog.selectors import model_get_by_slug
from reviews.models import Review
from webhooks import selectors

conditional = decorator_from_middleware(ConditionalGetMiddleware)


def _model_link(model: AIModel) -> str:
    provider, name = model.slug.split("/", 1)
    return reverse("catalog:model-detail", kwargs={"provider": provider, "model": name})


class _ReviewFeed(Feed):
    feed_type = Atom1Feed
    author_name = "AI model reviews"

    def items(self, obj: Any) -> list[Review]:
        raise NotImplementedError

    def item_title(self, item: Review) -> str:
        return f"{item.model.name}: {item.rating}/5 · {item.title}"

    def item_description(self, item: Review) -> str:
        return linebreaks(escape(item.body))

    def item_link(self, item: Review) -> str:
        return reverse("reviews:review-detail", kwargs={"review_id": item.public_id})

    def item_guid(self, item: Review) -> str:
        return f"urn:uuid:{item.public_id}"

    item_guid_is_permalink = False

    def item_author_name(self, item: Review) -> str:
        return str(item.author)

    def item_pubdate(self, item: Review) -> dt.datetime | None:
        return item.published_at

    def item_updateddate(self, item: Review) -> dt.datetime | None:
        return item.published_at


class ModelReviewFeed(_ReviewFeed):
    def get_object(self, request: HttpRequest, provider: str, model: str) -> AIModel:
        try:
            return model_get_by_slug(f"{provider}/{model}")
        except NotFound as exc:  # a plain Django view: no DRF handler renders it
            raise Http404(exc.message) from exc

    def title(self, obj: AIModel) -> str:
        return f"Reviews of {obj.name}"

    def link(self, obj: AIModel) -> str:
        return _model_link(obj)

    def subtitle(self, obj: AIModel) -> str:
        return f"Newly published reviews of {obj.name}, newest first."

    def items(self, obj: AIModel) -> list[Review]:
        return list(selectors.review_feed_for_model(model=obj))


class ProviderReviewFeed(_ReviewFeed):
    def get_object(self, request: HttpRequest, provider: str) -> Provider:
        return get_object_or_404(Provider, slug=provider)

    def title(self, obj: Provider) -> str:
        return f"Reviews of {obj.name} models"

    def link(self, obj: Provider) -> str:
        return reverse("catalog:provider-detail", kwargs={"slug": obj.slug})

    def subtitle(self, obj: Provider) -> str:
        return f"Newly published reviews of {obj.name}'s models, newest first."

    def items(self, obj: Provider) -> list[Review]:
        return list(selectors.review_feed_for_provider(provider=obj))


class RatingChangeFeed(Feed):
    """Rating changes site-wide, from the outbox's `rating.changed` events."""

    feed_type = Atom1Feed
    author_name = "AI model reviews"
    title = "Rating changes"
    subtitle = "Models whose rating changed, newest first."

    def link(self) -> str:
        return reverse("catalog:model-list")

    def items(self) -> list[tuple[Event, AIModel]]:
        return selectors.rating_change_feed()

    def item_title(self, item: tuple[Event, AIModel]) -> str:
        event, model = item
        values = event.payload
        return (
            f"{model.name}: {values.get('bayesian_average')} ({values.get('review_count')} reviews)"
        )

    def item_description(self, item: tuple[Event, AIModel]) -> str:
        values = item[0].payload
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(values.items()) if k != "model_id")
        return escape(shown)

    def item_link(self, item: tuple[Event, AIModel]) -> str:
        return _model_link(item[1])

    def item_guid(self, item: tuple[Event, AIModel]) -> str:
        return f"tag:aimodels,2026:rating-change/{item[0].pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: tuple[Event, AIModel]) -> dt.datetime:
        return item[0].created_at

    def item_updateddate(self, item: tuple[Event, AIModel]) -> dt.datetime:
        return item[0].created_at


model_review_feed = conditional(ModelReviewFeed())
provider_review_feed = conditional(ProviderReviewFeed())
rating_change_feed = conditional(RatingChangeFeed())
