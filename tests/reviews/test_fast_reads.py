"""The public reads' fast path (config/fast_reads.py) answers exactly as DRF's dispatch does:
the same status, headers and body for the same request, anonymous or signed in, 200, 304,
400, 401, 404 and 429, compressed or not, GET and HEAD. Each request is sent twice, once
with the fast path on and once with it off (PUBLIC_READS_FAST_PATH=False: DRF's dispatch),
on the same data and warm cache."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from django.urls import resolve
from rest_framework.request import Request
from rest_framework.test import APIClient

from accounts import services as accounts
from tests.conftest import make_user, token_client
from tests.reviews.conftest import reviews_url
from tests.reviews.test_documents import ALL_READS, detail_url, page_url

# Fixtures of the documents tests, re-exported (the `x as x` form) so pytest finds them here.
from tests.reviews.test_documents import reviewed as reviewed
from tests.reviews.test_documents import two_models as two_models
from tests.test_throttles import _counter_keys, _redis, _RoundTrips

pytestmark = pytest.mark.django_db

READS: list[Callable[[Any], str]] = [
    *ALL_READS,
    lambda m: detail_url(m, "rating/"),
    lambda m: reviews_url(m) + "?ordering=published_at",
    lambda m: reviews_url(m) + "?ordering=-stars&page_size=5",
    lambda m: reviews_url(m) + "?stars=4",
]
# Refused by each view's own validation (400), or naming nothing that exists (404).
REFUSED = [
    lambda m: detail_url(m, "?include=rating,nope"),
    lambda m: detail_url(m, "cost/?input_tokens=-1"),
    lambda m: reviews_url(m) + "?ordering=nope",
    lambda m: "/api/v1/models/?page_size=0",
    lambda m: "/api/v1/charts/?category=all&measure=nope",
    lambda m: detail_url(m, "?bogus=1"),  # config.strict: unknown parameter
    lambda m: detail_url(m, "?include=rating&include=ranks"),  # repeated
    lambda m: "/api/v1/models/acme/nobody/",
    lambda m: "/api/v1/models/acme/nobody/ranks/",
    lambda m: "/api/v1/models/acme/nobody/rating/",
    lambda m: "/api/v1/models/acme/nobody/reviews/",
    lambda m: "/api/v1/models/acme/nobody/cost/?input_tokens=1000",
    lambda m: "/api/v1/compare/?models=acme/alpha,acme/nobody",
    lambda m: "/api/v1/providers/nobody/",
]


def _headers(response: Any) -> dict[str, str]:
    # The request id differs per request by design; everything else must be equal.
    return {k: v for k, v in response.items() if k != "X-Request-ID"}


def _both(client: Any, url: str, method: str = "get", **extra: Any) -> tuple[Any, Any]:
    fast = getattr(client, method)(url, **extra)
    with override_settings(PUBLIC_READS_FAST_PATH=False):
        slow = getattr(client, method)(url, **extra)
    return fast, slow


def assert_same(client: Any, url: str, method: str = "get", **extra: Any) -> Any:
    fast, slow = _both(client, url, method, **extra)
    assert (fast.status_code, _headers(fast), fast.content) == (
        slow.status_code,
        _headers(slow),
        slow.content,
    )
    return fast


def _clients() -> dict[str, Any]:
    browser = Client()
    browser.force_login(make_user())
    return {
        "anonymous": APIClient(),
        "token": token_client(make_user()),
        "session": browser,
    }


@pytest.mark.parametrize("url_of", READS)
def test_reads_are_the_same_on_both_paths(reviewed: Any, url_of: Callable) -> None:
    url = url_of(reviewed.model)
    for name, client in _clients().items():
        first = assert_same(client, url)
        assert first.status_code == 200, (name, url)
        assert_same(client, url, HTTP_ACCEPT_ENCODING="gzip")
        assert_same(client, url, "head")
        # the reviews list negotiates (406 for an Accept it cannot answer); the catalog's not
        assert_same(client, url, HTTP_ACCEPT="text/html")
        not_modified = assert_same(client, url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert not_modified.status_code == 304, (name, url)
        assert_same(client, url, HTTP_IF_NONE_MATCH='"stale"')


@pytest.mark.parametrize("url_of", REFUSED)
def test_refusals_are_the_same_on_both_paths(reviewed: Any, url_of: Callable) -> None:
    url = url_of(reviewed.model)
    for client in _clients().values():
        refused = assert_same(client, url)
        assert refused.status_code in (400, 404), url
        assert refused["Content-Type"] == "application/json"
        assert set(refused.json()) >= {"code", "message"}


def test_api_keys_are_the_same_on_both_paths(reviewed: Any) -> None:
    _, raw = accounts.api_key_create(name="ssr", rate="100/min", created_by=None)
    client = APIClient()
    for url_of in (detail_url, reviews_url, page_url):
        url = url_of(reviewed.model)
        assert assert_same(client, url, HTTP_X_API_KEY=raw).status_code == 200
        refused = assert_same(client, url, HTTP_X_API_KEY="made-up")
        assert refused.status_code == 401
        assert refused.json()["code"] == "api_key_invalid"


def _without_wait(response: Any) -> tuple[int, dict[str, str], bytes]:
    # The wait is counted in whole seconds from now: two requests may straddle a second.
    headers = {k: re.sub(r"\d+", "N", v) for k, v in _headers(response).items()}
    return response.status_code, headers, re.sub(rb"\d+", b"N", response.content)


@pytest.mark.parametrize(
    "url_of", [detail_url, reviews_url, page_url, lambda m: detail_url(m, "rating/")]
)
def test_throttled_answers_are_the_same_on_both_paths(reviewed: Any, url_of: Callable) -> None:
    url = url_of(reviewed.model)
    client = APIClient()
    rates = {**django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min"}
    with override_settings(REST_FRAMEWORK={**django_settings.REST_FRAMEWORK,
                                           "DEFAULT_THROTTLE_RATES": rates}):  # fmt: skip
        # the fast path counts as DRF's throttle does: the third request is refused
        assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
        fast, slow = _both(client, url)
    assert _without_wait(fast) == _without_wait(slow)
    assert fast.status_code == 429
    assert fast.json()["code"] == "throttled"
    assert int(fast["Retry-After"]) >= 1


@pytest.mark.parametrize("url_of", [detail_url, page_url, reviews_url])
def test_a_304_reads_the_documents_head_and_writes_no_counter(
    monkeypatch: pytest.MonkeyPatch, reviewed: Any, url_of: Callable
) -> None:
    # given a document read once (kept, with its head beside it)
    url = url_of(reviewed.model)
    client = APIClient()
    etag = client.get(url)["ETag"]
    counters = [_redis().get(key) for key in _counter_keys()]
    # when a client revalidates it
    trips = _RoundTrips(monkeypatch)
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    monkeypatch.undo()
    # then the answer is 304 from one round trip that read the head, not the body
    assert again.status_code == 304
    assert len(trips.sent) == 1
    sent = b"".join(part for part in trips.sent[0] if isinstance(part, bytes))
    assert b":head" in sent
    assert b"EVALSHA" not in sent.upper()  # no throttle script ran
    # and no counter moved
    assert [_redis().get(key) for key in _counter_keys()] == counters


def test_a_changed_document_is_sent_whole_to_a_client_with_the_old_etag(reviewed: Any) -> None:
    # given a client holding the page's ETag
    client = APIClient()
    url = page_url(reviewed.model)
    first = client.get(url)
    # when the document changes (a catalog edit bumps the generations it is kept under)
    from models_catalog import services as catalog

    catalog.catalog_documents_invalidate()
    reviewed.model.name = "Alpha Prime"
    reviewed.model.save(update_fields=["name"])
    catalog.catalog_documents_invalidate()
    # then its old ETag gets the new body, not a 304
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again.json()["name"] == "Alpha Prime"
    assert again["ETag"] != first["ETag"]


@pytest.mark.parametrize("url_of", READS)
def test_every_public_document_route_has_the_fast_path(reviewed: Any, url_of: Callable) -> None:
    path = url_of(reviewed.model).split("?")[0]
    view: Any = resolve(path).func
    assert hasattr(view, "__wrapped__"), path  # PublicReadMixin's wrapper
    assert view.cls is view.__wrapped__.cls  # DRF's view class, for the schema


# --- The direct read: warm anonymous reads answered without DRF's Request -------------------


# A list page shows a few of the 64 list shards: their tokens are read in a second round trip.
def list_url(model: Any) -> str:
    return "/api/v1/models/?page_size=50"


DIRECT_READS: list[Callable[[Any], str]] = [
    detail_url,
    page_url,
    lambda m: detail_url(m, "?include=ranks"),
    lambda m: detail_url(m, "ranks/"),
    lambda m: detail_url(m, "rating/"),
    reviews_url,
    lambda m: reviews_url(m) + "?ordering=-stars&page_size=5",
    list_url,
    lambda m: "/api/v1/providers/",
]


class _DrfRequests:
    """Counts the DRF Requests built (each passed through unchanged): none on the direct read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = Request.__init__

        def counting(request: Any, *args: Any, **kwargs: Any) -> None:
            self.count += 1
            original(request, *args, **kwargs)

        monkeypatch.setattr(Request, "__init__", counting)


def _counters() -> dict[Any, Any]:
    return {key: _redis().get(key) for key in _counter_keys()}


@pytest.mark.parametrize("url_of", DIRECT_READS)
def test_a_warm_anonymous_read_is_one_round_trip_without_drf(
    monkeypatch: pytest.MonkeyPatch, reviewed: Any, url_of: Callable
) -> None:
    # given a document read once (kept)
    url, client = url_of(reviewed.model), APIClient()
    etag = client.get(url)["ETag"]
    counted = _counters()
    # when it is read again, and revalidated
    trips, drf = _RoundTrips(monkeypatch), _DrfRequests(monkeypatch)
    again = client.get(url)
    sent_read = list(trips.sent)
    revalidated = client.get(url, HTTP_IF_NONE_MATCH=etag)
    monkeypatch.undo()
    # then each is one round trip (a list page two) and no DRF Request: the read with the
    # throttle's script,
    trips_each = 2 if url_of is list_url else 1
    assert (again.status_code, revalidated.status_code) == (200, 304)
    assert drf.count == 0
    assert len(sent_read) == trips_each and len(trips.sent) == 2 * trips_each
    assert b"EVALSHA" in b"".join(p for p in sent_read[0] if isinstance(p, bytes)).upper()
    # which counted the read once; the 304 counted nothing
    after = _counters()
    assert sum(int(after[k]) - int(counted.get(k) or 0) for k in after) == 1


def test_a_miss_on_the_direct_read_renders_and_is_counted_once(reviewed: Any) -> None:
    # given a model page whose document a catalog change retired
    url, client = detail_url(reviewed.model), APIClient()
    client.get(url)
    from models_catalog import services as catalog

    catalog.catalog_documents_invalidate()
    counted = _counters()
    # when it is read: the direct read misses and DRF's dispatch renders it
    response = client.get(url)
    # then the answer is the page, and the client was counted once, not twice
    assert response.status_code == 200
    assert response.json()["slug"] == reviewed.model.slug
    after = _counters()
    assert sum(int(after[k]) - int(counted.get(k) or 0) for k in after) == 1


def test_an_api_key_is_counted_on_the_direct_read_at_its_own_rate(
    monkeypatch: pytest.MonkeyPatch, reviewed: Any
) -> None:
    # given a partner's key, looked up once by this process (DRF's path: the first request)
    _, raw = accounts.api_key_create(name="ssr", rate="2/min", created_by=None)
    url, client = detail_url(reviewed.model), APIClient()
    assert client.get(url, HTTP_X_API_KEY=raw).status_code == 200
    # when it reads again: the direct read, counted against the key (2/min), not the address
    drf = _DrfRequests(monkeypatch)
    second = client.get(url, HTTP_X_API_KEY=raw)
    assert drf.count == 0
    third = client.get(url, HTTP_X_API_KEY=raw)
    monkeypatch.undo()
    # then the key's own limit refuses the third, as DRF's throttle does
    assert second.status_code == 200
    assert third.status_code == 429
    assert third.json()["code"] == "throttled"
    assert int(third["Retry-After"]) >= 1
    # and an anonymous client at the same address is not refused
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url_of",
    [
        lambda m: reviews_url(m) + "?cursor=bogus",  # later pages render per request
        lambda m: detail_url(m, "?include=nope"),  # the view's own 400
        lambda m: detail_url(m, "?include="),
        lambda m: reviews_url(m) + "?stars=9",
    ],
)
def test_what_the_direct_read_does_not_serve_is_the_same_on_both_paths(
    reviewed: Any, url_of: Callable
) -> None:
    url = url_of(reviewed.model)
    client = APIClient()
    client.get(url)
    assert_same(client, url)
    assert_same(client, url, "head")


def test_a_negotiating_view_falls_back_for_an_accept_it_must_judge(reviewed: Any) -> None:
    client, url = APIClient(), reviews_url(reviewed.model)
    client.get(url)
    for accept in ("text/html", "application/json; indent=4", "*/*", "application/json"):
        assert_same(client, url, HTTP_ACCEPT=accept)
