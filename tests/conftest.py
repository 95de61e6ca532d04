"""Shared fixtures. Persona fixtures live here so every app's tests speak the same language."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Tests read data from inside the repository only: the real snapshots the project ships for
# `make run` (data/catalog/ATTRIBUTION.md), and small real cuts in tests/fixtures/ (README.md).
SHIPPED_CATALOG_DIR = PROJECT_DIR / "data" / "catalog"
FIXTURES_DIR = PROJECT_DIR / "tests" / "fixtures"


@pytest.fixture
def api_client() -> APIClient:
    """An anonymous client."""
    return APIClient()


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Throttle counters and cached reads live in the shared Redis cache: start each test clean."""
    from django.core.cache import cache

    from config.throttles import throttle_memory_clear

    cache.clear()
    throttle_memory_clear()  # refusals and key lookups remembered in this process


@pytest.fixture(autouse=True)
def _rating_sums_built(request: pytest.FixtureRequest) -> None:
    """A transactional test starts after the previous one's flush emptied every table, the
    running rating sums' state row included (the pipeline would then scan): rebuild them, so
    the races run on the sums as production does (reviews.ratings.sums; PostgreSQL only)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    if not (transactional or "transactional_db" in request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    if connection.vendor == "postgresql":
        from reviews.ratings import rating_sums_rebuild

        rating_sums_rebuild()


# --- Personas ----------------------------------------------------------------------------
# Each persona is a user (None for anonymous) and an APIClient signed in the way an `app`
# client is: a real allauth session token (a logged-in session's key) in X-Session-Token.

PERSONA_PASSWORD = "correct-horse-battery-staple"  # tests.factories.UserFactory's password


@dataclass
class Persona:
    name: str
    user: Any  # accounts.models.User, or None for anonymous
    client: APIClient


def make_user(*, verified: bool = True, **fields: Any) -> Any:
    """A user whose primary email address is (or is not) verified, as allauth records it."""
    from allauth.account.models import EmailAddress

    from tests.factories import UserFactory

    user = UserFactory(**fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
    return user


def token_client(user: Any) -> APIClient:
    """An APIClient carrying a real session token for `user` (what allauth's app login issues)."""
    from django.conf import settings
    from django.test import Client, TestCase

    browser = Client()
    # As if the sign-in were an earlier request: committed, so its session's cached copy is
    # written (config.sessions writes it on commit; a test in one transaction never commits).
    with TestCase.captureOnCommitCallbacks(execute=True):
        browser.force_login(user)
    token = browser.cookies[settings.SESSION_COOKIE_NAME].value
    client = APIClient()
    client.credentials(HTTP_X_SESSION_TOKEN=token)
    return client


def _persona(name: str, user: Any) -> Persona:
    return Persona(name=name, user=user, client=token_client(user))


@pytest.fixture
def anonymous() -> Persona:
    return Persona(name="anonymous", user=None, client=APIClient())


@pytest.fixture
def unverified(db: None) -> Persona:
    return _persona("unverified", make_user(verified=False))


@pytest.fixture
def verified(db: None) -> Persona:
    return _persona("verified", make_user())


@pytest.fixture
def other_verified(db: None) -> Persona:
    return _persona("other_verified", make_user())


@pytest.fixture
def moderator(db: None) -> Persona:
    from accounts.services import moderator_grant

    user = make_user()
    moderator_grant(user=user)
    return _persona("moderator", user)


@pytest.fixture
def admin(db: None) -> Persona:
    return _persona("admin", make_user(is_staff=True, is_superuser=True))
