"""Helpers for the webhook tests: a real HTTP receiver on loopback (a thread of the test),
and a published review whose outbox events the tests deliver by calling the services."""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from accounts.services import moderator_grant
from events.models import Delivery, Event
from events.services import delivery_attempt
from reviews.models import Review
from reviews.services import ReviewDraft, review_create, review_verify
from tests.conftest import make_user
from tests.reviews.conftest import BODY
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import subscription_create


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next of `statuses` (then 200); `hang` seconds of silence
    first when set. Records what it received."""

    statuses: list[int] = field(default_factory=list)
    hang: float = 0.0
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        self.received.append(Received(headers, body))
        if self.hang:
            time.sleep(self.hang)
        return self.statuses.pop(0) if self.statuses else 200


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = receiver.answer({k.lower(): v for k, v in self.headers.items()}, body)
            try:
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"thanks " * 200)
            except OSError:
                pass  # the sender gave up waiting

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def subscriber(**fields: Any) -> Any:
    return make_user(**fields)


def subscribe(url: str, types: list[str], **options: Any) -> WebhookSubscription:
    owner = options.pop("owner", None) or subscriber()
    return subscription_create(owner=owner, url=url, event_types=types, **options)


def published_review(model: Any, **draft: Any) -> Review:
    moderator = make_user()
    moderator_grant(user=moderator)
    values = {"rating": 5, "title": "Solid", "body": BODY, **draft}
    review = review_create(author=make_user(), model=model, draft=ReviewDraft(**values))
    return review_verify(review=review, moderator=moderator)


def fan_out(event_type: str | None = None) -> list[WebhookDelivery]:
    """Run the outbox's `webhooks` consumer on every open delivery (what the worker does)."""
    open_rows = Delivery.objects.filter(consumer="webhooks", state="pending")
    if event_type:
        open_rows = open_rows.filter(event__type=event_type)
    for delivery_id in open_rows.values_list("pk", flat=True):
        assert delivery_attempt(delivery_id) == "delivered"
    return list(WebhookDelivery.objects.order_by("pk"))


def last_event(event_type: str) -> Event:
    return Event.objects.filter(type=event_type).latest("pk")


def integrator() -> Any:
    """An account that may manage webhook subscriptions (the permission staff grant)."""
    from django.contrib.auth.models import Permission

    user = make_user()
    user.user_permissions.add(Permission.objects.get(codename="manage_subscriptions"))
    return user


@pytest.fixture
def webhook_client(db: None) -> Any:
    from tests.conftest import token_client

    client = token_client(integrator())
    return client
