"""Every endpoint under /api/v1/, as every persona: the expected status, and no response body
ever holds another person's email address.

The endpoints come from the URL resolver, so a new endpoint (or a new method on one) fails
this test until it has a row in EXPECTED.
"""

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from models_catalog.memberships import membership_grant
from models_catalog.profiles import profile_edit_propose
from reviews.models import ModelSurge
from reviews.services import reply_create, reply_publish
from tests.conftest import PERSONA_PASSWORD, _persona, make_user
from tests.factories import AIModelFactory, PriceFactory, ProviderFactory, ReviewFactory
from webhooks.services import subscription_create, webhook_ping

PERSONAS = [
    "anonymous", "unverified", "verified", "other_verified", "moderator", "admin",
    # Provider membership (issue 16): a manager of the reviewed model's provider, and a
    # member of another provider (fixtures below).
    "provider_manager", "other_provider_member",
]  # fmt: skip
METHODS = ["get", "post", "put", "patch", "delete"]


def _everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PERSONAS, status)


def _signed_in(status: int, *, unverified: int | None = None) -> dict[str, int]:
    return {
        **_everyone(status),
        "anonymous": 401,
        "unverified": status if unverified is None else unverified,
    }


def _author_only(status: int) -> dict[str, int]:
    # Reviews in this test are written by other_verified; everyone else is refused.
    return {**_everyone(403), "other_verified": status}


def _moderators(status: int) -> dict[str, int]:
    return {**_everyone(403), "anonymous": 401, "moderator": status, "admin": status}


def _provider_manager(status: int) -> dict[str, int]:
    # Only a member of the reviewed model's provider; everyone else signed in is refused.
    return {**_everyone(403), "provider_manager": status}


def _integrators(status: int) -> dict[str, int]:
    return {**_everyone(403), "anonymous": 401, "admin": status}


# route name -> method -> persona -> status
EXPECTED: dict[str, dict[str, dict[str, int]]] = {
    "accounts:me": {
        "get": _signed_in(200),
        "patch": _signed_in(200, unverified=403),
        "delete": _signed_in(204, unverified=403),
    },
    "accounts:me-export": {"get": _signed_in(200)},
    "accounts:me-moderation-access": {"get": _signed_in(200)},
    "accounts:user-detail": {"get": _everyone(200)},
    "catalog:provider-list": {"get": _everyone(200)},
    "catalog:provider-detail": {"get": _everyone(200)},
    "catalog:model-list": {"get": _everyone(200)},
    # Claimed provider profile (issue 16): managers propose, moderators decide.
    "catalog:provider-profile": {"patch": {**_provider_manager(202), "anonymous": 401}},
    "catalog:moderation-profile-edits": {"get": _moderators(200)},
    "catalog:moderation-profile-edit-accept": {"post": _moderators(200)},
    "catalog:moderation-profile-edit-reject": {"post": _moderators(200)},
    "catalog:model-detail": {"get": _everyone(200)},
    "catalog:model-cost": {"get": _everyone(200)},
    "catalog:model-ranks": {"get": _everyone(200)},
    "catalog:model-prices": {"get": _everyone(200)},
    "catalog:chart": {"get": _everyone(200)},
    # Without `models=` (this test has one priced model): a 400, the same for everyone.
    "catalog:compare": {"get": _everyone(400)},
    # Reviews: each call gets a fresh review written by other_verified (see REVIEW_STATUS).
    "reviews:model-reviews": {"get": _everyone(200), "post": _signed_in(201, unverified=403)},
    "reviews:review-detail": {
        "get": _everyone(200),
        "patch": {**_author_only(200), "anonymous": 401, "unverified": 403},
        "delete": {**_author_only(204), "anonymous": 401, "unverified": 403},
    },
    "reviews:review-vote": {
        "put": {**_signed_in(200, unverified=403), "other_verified": 403},
        # withdrawing a vote one never cast is a no-op, also on one's own review
        "delete": _signed_in(204, unverified=403),
    },
    "reviews:review-reports": {"post": {**_signed_in(201, unverified=403), "other_verified": 403}},
    "reviews:me-reviews": {"get": _signed_in(200)},
    "reviews:me-reports": {"get": _signed_in(200)},
    # the fresh review has no report of the persona's (withdrawal: test_report_withdraw.py)
    "reviews:me-report-detail": {"get": _signed_in(404), "delete": _signed_in(404)},
    "reviews:moderation-queue": {"get": _moderators(200)},
    "reviews:moderation-events": {"get": _moderators(200)},
    # Rating integrity (issue 13): each call gets a fresh open surge.
    "reviews:moderation-surges": {"get": _moderators(200)},
    "reviews:moderation-surge-release": {"post": _moderators(200)},
    "reviews:moderation-surge-reject": {"post": _moderators(200)},
    **{
        f"reviews:moderation-{action}": {"post": _moderators(200)}
        for action in ("verify", "reject", "hide", "restore", "verify-usage")
    },
    # Provider replies (issue 16): each call gets a fresh published review; GET, PATCH and
    # DELETE find a published reply to it by another member of its provider.
    "reviews:review-reply": {
        "get": _everyone(200),
        "post": {**_provider_manager(201), "anonymous": 401},
        "patch": {**_provider_manager(200), "anonymous": 401},
        "delete": {**_provider_manager(204), "anonymous": 401},
    },
    "reviews:moderation-replies": {"get": _moderators(200)},
    "reviews:provider-reply-stats": {"get": _everyone(200)},
    "reviews:moderation-reply-publish": {"post": _moderators(200)},
    "reviews:moderation-reply-reject": {"post": _moderators(200)},
    # Ratings (issue 5): public reads of the stored summary.
    "ratings:model-rating": {"get": _everyone(200)},
    "ratings:model-badge": {"get": _everyone(200)},
    "ratings:methodology": {"get": _everyone(200)},
    # Webhooks (issue 17): accounts holding webhooks.manage_subscriptions (here the superuser),
    # each call on a fresh subscription (and delivery) of the admin persona's.
    "webhooks:subscriptions": {"get": _integrators(200), "post": _integrators(201)},
    "webhooks:subscription-detail": {"get": _integrators(200), "delete": _integrators(204)},
    "webhooks:subscription-enable": {"post": _integrators(200)},
    "webhooks:subscription-ping": {"post": _integrators(202)},
    "webhooks:subscription-deliveries": {"get": _integrators(200)},
    "webhooks:delivery-redeliver": {"post": _integrators(202)},
}

# The state of the fresh review a call works on; "published" unless named here.
REVIEW_STATUS = {
    "reviews:moderation-verify": "pending",
    "reviews:moderation-reject": "pending",
    "reviews:moderation-restore": "hidden",
}

BODY = "Used it through the API for three months of code review; fast and mostly right."
BODIES = {
    ("accounts:me", "patch"): {"bio": "Evaluates models."},
    # A GET's data is its query string.
    ("catalog:chart", "get"): {"category": "all", "measure": "input_price"},
    ("reviews:model-reviews", "post"): {"stars": 4, "title": "Good", "body": BODY},
    ("reviews:review-detail", "patch"): {"stars": 3, "title": "Edited", "body": BODY},
    ("reviews:review-vote", "put"): {"helpful": True},
    ("reviews:review-reports", "post"): {"reason": "spam"},
    ("reviews:moderation-reject", "post"): {"reason": "off_topic", "note": "Not about the model."},
    ("reviews:moderation-hide", "post"): {"reason": "abusive", "note": "Insults another user."},
    ("reviews:review-reply", "post"): {"body": BODY},
    ("catalog:provider-profile", "patch"): {"description": "Makes models."},
    ("reviews:review-reply", "patch"): {"body": BODY + " Edited."},
    ("accounts:me", "delete"): {"password": PERSONA_PASSWORD},
    ("webhooks:subscriptions", "post"): {
        "url": "http://127.0.0.1:9/hook",
        "event_types": ["rating.changed"],
    },
}


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> list[tuple[str, str, Any]]:
    routes = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
            routes += _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            routes.append((prefix + str(pattern.pattern), name, pattern.callback))
    return routes


def api_routes() -> dict[str, tuple[str, list[str]]]:
    """Route name -> (route, HTTP methods its view answers), for every route under /api/v1/."""
    routes = {}
    for route, name, callback in _walk(get_resolver().url_patterns):
        if route.startswith("api/v1/"):
            view_class = getattr(callback, "cls", None) or callback.view_class
            routes[name] = (route, [m for m in METHODS if hasattr(view_class, m)])
    return routes


ROUTE_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def test_every_api_endpoint_has_expectations():
    found = {name: set(methods) for name, (_, methods) in api_routes().items()}
    expected = {name: set(methods) for name, methods in EXPECTED.items()}
    assert found == expected, "add the new endpoint or method to EXPECTED"


@pytest.fixture
def people(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {name: request.getfixturevalue(name) for name in PERSONAS}


@pytest.fixture
def provider_manager(db: None) -> Any:
    # A manager of no provider yet: `_kwargs` makes it one of each fresh review's provider.
    return _persona("provider_manager", make_user())


@pytest.fixture
def other_provider_member(db: None) -> Any:
    user = make_user()
    membership_grant(provider=ProviderFactory.create(), user=user, role="manager")
    return _persona("other_provider_member", user)


def _reply_to(review: Any, people: dict[str, Any], *, publish: bool) -> Any:
    """A reply to `review` by another member of its provider, published if asked."""
    colleague = make_user()
    membership_grant(provider=review.model.provider, user=colleague)
    reply = reply_create(review=review, author=colleague, body=BODY)
    if publish:
        reply_publish(reply=reply, moderator=people["moderator"].user)
    return reply


def _profile_edit(people: dict[str, Any]) -> Any:
    """A fresh proposal by a manager of a fresh provider, waiting for moderation."""
    manager = make_user()
    provider = ProviderFactory.create()
    membership_grant(provider=provider, user=manager, role="manager")
    return profile_edit_propose(provider=provider, user=manager, changes={"description": "New"})


def _kwargs(
    route: str, people: dict[str, Any], price: Any, name: str, method: str
) -> dict[str, str]:
    """Values for the route's parameters, e.g. `<str:username>`."""
    provider, model = price.model.slug.split("/", 1)
    values: dict[str, Any] = {
        # someone else's public profile: the place an email address would most likely leak
        "username": people["other_verified"].user.username,
        "slug": price.model.provider.slug,
        "provider": provider,
        "model": model,
    }
    if "slug" in ROUTE_PARAMETER.findall(route):
        membership_grant(
            provider=price.model.provider, user=people["provider_manager"].user, role="manager"
        )
    if "edit_id" in ROUTE_PARAMETER.findall(route):
        values["edit_id"] = _profile_edit(people).pk
    if "review_id" in ROUTE_PARAMETER.findall(route):
        # each on a model of its own, so the author's one-review-per-model rule never interferes
        status = REVIEW_STATUS.get(name, "published")
        review = ReviewFactory.create(
            author=people["other_verified"].user, published=status == "published", status=status
        )
        values["review_id"] = review.public_id
        membership_grant(
            provider=review.model.provider, user=people["provider_manager"].user, role="manager"
        )
        if name == "reviews:review-reply" and method != "post":
            _reply_to(review, people, publish=True)
    if "reply_id" in ROUTE_PARAMETER.findall(route):
        review = ReviewFactory.create(published=True)
        values["reply_id"] = _reply_to(review, people, publish=False).public_id
    if "surge_id" in ROUTE_PARAMETER.findall(route):
        surge = ModelSurge.objects.create(
            model=AIModelFactory.create(), kind="review_surge", since=timezone.now()
        )
        values["surge_id"] = surge.pk
    if {"subscription_id", "delivery_id"} & set(ROUTE_PARAMETER.findall(route)):
        subscription = subscription_create(
            owner=people["admin"].user, url="http://127.0.0.1:9/hook", event_types=["ping"]
        )
        values["subscription_id"] = subscription.pk
        values["delivery_id"] = webhook_ping(subscription).pk
    return {name: values[name] for name in ROUTE_PARAMETER.findall(route)}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_persona_gets_expected_status_and_no_foreign_email(persona, people):
    # given every persona exists, and a priced model in the catalog
    price = PriceFactory()
    me = people[persona]
    foreign_emails = [
        p.user.email.lower() for name, p in people.items() if name != persona and p.user
    ]
    # DELETE /me/ erases the persona, so it goes last
    calls = sorted(
        ((name, method) for name, methods in EXPECTED.items() for method in methods),
        key=lambda call: call == ("accounts:me", "delete"),
    )

    routes = api_routes()
    failures = []
    for name, method in calls:
        url = reverse(name, kwargs=_kwargs(routes[name][0], people, price, name, method))
        response = getattr(me.client, method)(url, BODIES.get((name, method)), format="json")
        expected = EXPECTED[name][method][persona]
        if response.status_code != expected:
            failures.append(f"{method.upper()} {url}: {response.status_code} != {expected}")
        body = response.content.decode().lower()
        leaked = [email for email in foreign_emails if email in body]
        assert not leaked, f"{method.upper()} {url} as {persona} shows {leaked}"
    assert not failures, "\n".join(failures)
