"""The workbench's tests: a queue with one item of each kind, made through the services."""

import re
from dataclasses import dataclass
from typing import Any, cast

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.test import Client

from accounts.services import moderator_grant
from models_catalog.models import AIModel
from reviews.models import Review
from reviews.services import ReviewDraft, report_create, review_create, review_update, review_verify
from tests.conftest import make_user
from tests.factories import AIModelFactory, ProviderFactory

BODY = (
    "I used this model for three months to refactor a large Django codebase; it was fast, "
    "cheap and right most of the time."
)
# An id a person should never read on a moderator's page.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def signed_in(user: Any) -> Client:
    """A browser session of `user` (the workbench and the admin are session pages)."""
    client = Client()
    client.force_login(user)
    return client


@dataclass
class Queue:
    moderator: Any
    secret: str
    new: Review
    edited: Review
    reported: Review
    authors: list[Any]


def moderator_with_totp() -> tuple[Any, str]:
    user = make_user(display_name="Maud Moderator")
    moderator_grant(user=user)
    secret = generate_totp_secret()
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": secret})
    return user, secret


def draft(**content: Any) -> ReviewDraft:
    return ReviewDraft(**{"rating": 4, "title": "A review", "body": BODY, **content})


@pytest.fixture
def queue(db: None) -> Queue:
    """A pending review, a published one with an edit waiting and a reported published one,
    in that order of arrival, and a moderator with TOTP."""
    provider = ProviderFactory(slug="openai", name="OpenAI")
    model = cast(AIModel, AIModelFactory(provider=provider, slug="openai/o4-mini", name="o4 Mini"))
    other = cast(AIModel, AIModelFactory(provider=provider, slug="openai/gpt-4.1", name="GPT-4.1"))
    moderator, secret = moderator_with_totp()
    ada, bob, cy = (make_user(display_name=n) for n in ("Ada Lovelace", "Bob Byte", "Cy Coder"))
    new = review_create(author=ada, model=model, draft=draft(title="Fast and cheap"))
    edited = review_verify(
        review=review_create(
            author=bob, model=model, draft=draft(title="Solid", quality=4, speed=3)
        ),
        moderator=moderator,
    )
    review_update(
        review=edited, author=bob,
        changes={"body": BODY.replace("fast", "very slow"), "rating": 2, "speed": 1},
    )  # fmt: skip
    reported = review_verify(
        review=review_create(author=cy, model=other, draft=draft(title="Buy my course")),
        moderator=moderator,
    )
    for _ in range(3):
        report_create(review=reported, reporter=make_user(), reason="spam", note="An ad.")
    return Queue(moderator, secret, new, edited, reported, [ada, bob, cy])


@pytest.fixture
def moderator_client(queue: Queue) -> Client:
    """The queue's moderator, signed in."""
    return signed_in(queue.moderator)
