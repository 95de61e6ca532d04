"""Helpers for the reviews tests: a model to review, review bodies, and workflow shortcuts
that go through the real services."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from config.celery import app as celery_app
from tests.conftest import make_user
from tests.factories import AIModelFactory, ProviderFactory

BODY = (
    "I used this model for three months to refactor a large Django codebase; it was fast, "
    "cheap and right most of the time."
)


def review_payload(**overrides: Any) -> dict[str, Any]:
    """A valid POST body for a review, with `overrides` applied."""
    return {"stars": 4, "title": "Good for refactoring", "body": BODY, **overrides}


def reviews_url(model: Any) -> str:
    return f"/api/v1/models/{model.slug}/reviews/"


def review_url(review_id: Any, suffix: str = "") -> str:
    return f"/api/v1/reviews/{review_id}/{suffix}"


def moderation_url(review_id: Any, action: str) -> str:
    return f"/api/v1/moderation/reviews/{review_id}/{action}/"


@pytest.fixture
def ai_model(db: None) -> Any:
    provider = ProviderFactory(slug="openai", name="OpenAI")
    return AIModelFactory(
        provider=provider, slug="openai/o4-mini", version_slug="openai/o4-mini-2025-04-16"
    )


@pytest.fixture
def author(db: None) -> Any:
    return make_user()


@pytest.fixture
def create_review(ai_model: Any) -> Callable[..., Any]:
    """`create_review(author, **content)`: a pending review through `review_create`."""
    from reviews.services import ReviewDraft, review_create

    def create(author: Any, model: Any = None, **content: Any) -> Any:
        draft = ReviewDraft(**{"rating": 4, "title": "A review", "body": BODY, **content})
        return review_create(author=author, model=model or ai_model, draft=draft)

    return create


@pytest.fixture
def publish(moderator: Any) -> Callable[..., Any]:
    """`publish(review)`: verified by the moderator persona, through `review_verify`."""
    from reviews.services import review_verify

    def verify(review: Any, **kwargs: Any) -> Any:
        return review_verify(review=review, moderator=moderator.user, **kwargs)

    return verify


@pytest.fixture
def published_review(create_review: Callable, publish: Callable, author: Any) -> Any:
    return publish(create_review(author))


@pytest.fixture
def eager_commit(django_capture_on_commit_callbacks: Callable) -> Iterator[Callable]:
    """`with eager_commit(): ...` runs the on-commit callbacks (task publishes) when the
    block ends, with Celery in eager mode, so mail lands in `mail.outbox` at once."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield lambda: django_capture_on_commit_callbacks(execute=True)
    finally:
        celery_app.conf.task_always_eager = previous
