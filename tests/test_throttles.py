"""The general API throttles (config/throttles.py): a sliding-window counter per client
address, account or API key, in the real Redis cache; 304s are free; API keys are hashed,
have their own rate and can be revoked."""

import concurrent.futures
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiKey
from config.throttles import _wait, client_address, counter_hit
from tests.accounts.conftest import serve
from tests.conftest import make_user, token_client

PROVIDERS = "/api/v1/providers/"
PROXY = "127.0.0.1"  # the test client's peer, in TRUSTED_PROXIES by default


def _rates(**rates: str) -> Any:
    return override_settings(
        REST_FRAMEWORK={
            **django_settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **rates,
            },
        }
    )


def _redis() -> redis.Redis:
    location = django_settings.CACHES["default"]["LOCATION"]
    return redis.Redis.from_url(location[0] if isinstance(location, list) else location)


def _counter_keys() -> list[bytes | str]:
    return sorted(_redis().keys("*rl:{*"))


@pytest.mark.django_db
def test_the_limit_is_reached_then_429_with_retry_after_and_a_stable_code():
    client = APIClient()
    with _rates(anon="3/min"):
        statuses = [client.get(PROVIDERS).status_code for _ in range(3)]
        refused = client.get(PROVIDERS)
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    # at most two windows: in the next one the full previous window still counts by overlap
    assert 1 <= int(refused["Retry-After"]) <= 120
    # one counter for the address (O(1): a number, not a list of request times)
    keys = _counter_keys()
    assert len(keys) == 1
    assert _redis().get(keys[0]) == b"3"


def test_parallel_hits_over_the_limit_let_exactly_the_limit_through():
    # given 20 threads hitting one client's counter at once, limit 7
    barrier = threading.Barrier(20)

    def hit(_: int) -> bool:
        barrier.wait()
        return counter_hit("parallel-test", 7, 60) is None

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        allowed = list(pool.map(hit, range(20)))
    assert allowed.count(True) == 7


def test_the_previous_window_still_counts_by_its_overlap():
    # given a full previous window (written as the script would have)
    window = 3600
    now = time.time()
    index = int(now // window)
    if now - index * window > window - 5:  # the previous window would hardly count any more
        time.sleep(6)
        index += 1
    previous = cache.make_key(f"rl:{{overlap}}:{window}:{index - 1}")
    _redis().set(previous, 10_000, ex=2 * window)
    # then a limit of 10 refuses at once, and says when the overlap will have shrunk enough
    wait = counter_hit("overlap", 10, window)
    assert wait is not None and 0 < wait <= window
    # while another client is not affected
    assert counter_hit("someone-else", 10, window) is None


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_requests_to_two_server_processes_let_exactly_the_limit_through(
    tmp_path: Path,
):
    with serve(tmp_path, count=2, THROTTLE_ANON="5/min") as servers:

        def get(index: int) -> int:
            return servers[index % 2].call("get", PROVIDERS)[0]

        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(get, range(20)))
    assert statuses.count(200) == 5
    assert statuses.count(429) == 15


@pytest.mark.django_db
def test_a_304_costs_no_throttle_write():
    client = APIClient()
    etag = client.get(PROVIDERS)["ETag"]
    before = [(_redis().get(key)) for key in _counter_keys()]
    assert before == [b"1"]
    # when the client revalidates many times
    with _rates(anon="3/min"):
        statuses = {client.get(PROVIDERS, HTTP_IF_NONE_MATCH=etag).status_code for _ in range(10)}
    # then every answer is a 304 and the counter never moved (nor was any key written)
    assert statuses == {304}
    assert [(_redis().get(key)) for key in _counter_keys()] == [b"1"]


@pytest.mark.django_db
def test_a_conditional_request_that_is_not_a_304_is_charged_and_refused_over_the_limit():
    client = APIClient()
    with _rates(anon="2/min"):
        # a stale or forged ETag: the body is sent, so the request is charged after
        stale = [client.get(PROVIDERS, HTTP_IF_NONE_MATCH='"stale"') for _ in range(3)]
    assert [response.status_code for response in stale] == [200, 200, 429]
    assert stale[2].json()["code"] == "throttled"
    assert int(stale[2]["Retry-After"]) >= 1


@pytest.mark.django_db
def test_addresses_behind_the_trusted_proxy_are_counted_separately(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client = APIClient()
    with _rates(anon="2/min"):
        first = [client.get(PROVIDERS, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code
                 for _ in range(3)]  # fmt: skip
        second = [client.get(PROVIDERS, HTTP_X_FORWARDED_FOR="203.0.113.2").status_code
                  for _ in range(2)]  # fmt: skip
    assert first == [200, 200, 429]
    assert second == [200, 200]


@pytest.mark.django_db
def test_a_forwarded_for_header_from_an_untrusted_peer_buys_no_fresh_limit(settings):
    # given proxies configured, a peer that is not one of them rotating the header
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client = APIClient(REMOTE_ADDR="198.51.100.9")
    with _rates(anon="2/min"):
        statuses = [
            client.get(PROVIDERS, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
            for n in range(4)
        ]
    assert statuses == [200, 200, 429, 429]


def test_client_address_takes_the_entry_our_outermost_proxy_wrote(rf, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.5, 10.1.1.1")
    assert client_address(request) == "192.0.2.5"
    short = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.7")
    assert client_address(short) == "192.0.2.7"


# --- API keys ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_api_key_is_stored_hashed_and_never_raw():
    key, raw = services.api_key_create(name="ssr-frontend", rate="100/min", created_by=None)
    assert raw.startswith("amk_") and len(raw) > 40
    stored = ApiKey.objects.get(pk=key.pk)
    row = " ".join(str(value) for value in ApiKey.objects.filter(pk=key.pk).values().get().values())
    assert raw not in row
    assert raw[4:] not in row
    assert re.fullmatch(r"[0-9a-f]{64}", stored.digest)
    assert raw.startswith(stored.prefix)


@pytest.mark.django_db
def test_an_api_key_has_its_own_rate_separate_from_the_address_limit():
    _, raw = services.api_key_create(name="partner-a", rate="5/min", created_by=None)
    client = APIClient()
    with _rates(anon="3/min"):
        keyed = [client.get(PROVIDERS, HTTP_X_API_KEY=raw).status_code for _ in range(6)]
        # the same address without the key still has its allowance, less the one request
        # the key's first lookup in this process cost it
        anonymous = [client.get(PROVIDERS).status_code for _ in range(3)]
    assert keyed == [200] * 5 + [429]
    assert anonymous == [200, 200, 429]


@pytest.mark.django_db
def test_made_up_keys_cost_the_address_its_allowance_not_the_database_a_query_each():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = APIClient()
    with _rates(anon="2/min"):
        first = [client.get(PROVIDERS, HTTP_X_API_KEY=f"amk_made-up-{n}") for n in range(2)]
        with CaptureQueriesContext(connection) as queries:
            third = client.get(PROVIDERS, HTTP_X_API_KEY="amk_made-up-3")
    assert [response.status_code for response in first] == [401, 401]
    assert third.status_code == 429
    assert len(queries) == 0


@pytest.mark.django_db
def test_two_api_keys_are_counted_apart():
    _, first = services.api_key_create(name="partner-a", rate="1/min", created_by=None)
    _, second = services.api_key_create(name="partner-b", rate="1/min", created_by=None)
    client = APIClient()
    assert client.get(PROVIDERS, HTTP_X_API_KEY=first).status_code == 200
    assert client.get(PROVIDERS, HTTP_X_API_KEY=first).status_code == 429
    assert client.get(PROVIDERS, HTTP_X_API_KEY=second).status_code == 200


@pytest.mark.django_db
def test_an_unknown_or_revoked_key_is_refused_with_a_clear_error():
    key, raw = services.api_key_create(name="partner-a", rate="100/min", created_by=None)
    client = APIClient()
    assert client.get(PROVIDERS, HTTP_X_API_KEY=raw).status_code == 200

    unknown = client.get(PROVIDERS, HTTP_X_API_KEY=raw + "x")
    assert unknown.status_code == 401
    assert unknown.json()["code"] == "api_key_invalid"
    assert "X-Api-Key" in unknown["WWW-Authenticate"]

    assert services.api_key_revoke(key=key) is True
    revoked = client.get(PROVIDERS, HTTP_X_API_KEY=raw)
    assert revoked.status_code == 401
    assert revoked.json() == {
        "code": "api_key_revoked",
        "message": "This API key has been revoked.",
    }


@pytest.mark.django_db
def test_a_key_applies_on_views_with_authenticators_too():
    # the reviews list runs authenticators; a key still counts against the key
    _, raw = services.api_key_create(name="partner-a", rate="1/min", created_by=None)
    client = APIClient()
    path = "/api/v1/models/nobody/nothing/reviews/"
    assert client.get(path, HTTP_X_API_KEY=raw).status_code == 404
    assert client.get(path, HTTP_X_API_KEY=raw).status_code == 429


@pytest.mark.django_db
def test_signed_in_accounts_count_against_the_account_not_the_address():
    first, second = token_client(make_user()), token_client(make_user())
    path = "/api/v1/me/reviews/"
    with _rates(user="2/min", anon="1/min"):
        mine = [first.get(path).status_code for _ in range(3)]
        theirs = [second.get(path).status_code for _ in range(2)]
    assert mine == [200, 200, 429]
    assert theirs == [200, 200]


@pytest.mark.django_db
def test_staff_create_a_key_in_the_admin_see_it_once_and_revoke_it(client):
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        "/admin/accounts/apikey/add/", {"name": "ssr", "rate": "600/min"}, follow=True
    )
    assert response.status_code == 200
    shown = re.search(r"amk_[A-Za-z0-9_-]{40,}", response.content.decode())
    assert shown is not None
    key = ApiKey.objects.get(name="ssr")
    assert key.created_by == staff
    assert APIClient().get(PROVIDERS, HTTP_X_API_KEY=shown.group()).status_code == 200
    # the list never shows it again
    listing = client.get("/admin/accounts/apikey/").content.decode()
    assert shown.group() not in listing
    # a bad rate is refused by the form, not stored
    bad = client.post("/admin/accounts/apikey/add/", {"name": "bad", "rate": "lots"})
    assert bad.status_code == 200 and not ApiKey.objects.filter(name="bad").exists()
    # revoked through the admin action
    client.post(
        "/admin/accounts/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    refused = APIClient().get(PROVIDERS, HTTP_X_API_KEY=shown.group())
    assert refused.status_code == 401 and refused.json()["code"] == "api_key_revoked"


@pytest.mark.django_db
def test_an_invalid_rate_is_refused_by_the_database_too():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.create(name="x", rate="1/fortnight", prefix="amk_x", digest="0" * 64)


@pytest.mark.django_db(transaction=True)
def test_the_request_log_line_names_the_key(tmp_path: Path):
    _, raw = services.api_key_create(name="partner-logged", rate="100/min", created_by=None)
    with serve(tmp_path) as (server,):
        assert server.call("get", PROVIDERS, headers={"X-Api-Key": raw})[0] == 200
        assert server.call("get", PROVIDERS)[0] == 200
    lines = [line for line in server.log.read_text().splitlines() if PROVIDERS in line]
    assert any(line.endswith("key=partner-logged") for line in lines), lines
    assert any(line.endswith("key=-") for line in lines), lines
    assert raw not in server.log.read_text()


@pytest.mark.parametrize(
    ("limit", "elapsed", "current", "previous"),
    [(3, 10.0, 3, 0), (3, 50.0, 3, 9), (10, 5.0, 4, 20), (10, 30.0, 9, 100), (600, 1.0, 600, 600)],
)
def test_retry_after_is_when_one_more_request_fits(limit, elapsed, current, previous):
    window = 60

    def estimate_after(seconds: float) -> float:
        # the sliding estimate `seconds` from now, with no request counted meanwhile
        at = elapsed + seconds
        if at < window:
            return previous * (1 - at / window) + current
        return current * (1 - (at - window) / window)  # the current window became the previous

    wait = _wait(limit, window, elapsed, current, previous)
    assert estimate_after(wait) + 1 <= limit + 1e-9
    if wait > 1:
        assert estimate_after(wait - 1) + 1 > limit


# --- The counter and the document in one round trip (config.throttles.read_charged) ----------


class _RoundTrips:
    """Counts what this process sends to Redis (every command or pipeline is one packed
    send on a connection), passing each through unchanged."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[Any] = []
        original = redis.connection.Connection.send_packed_command

        def counting(connection: Any, command: Any, check_health: bool = True) -> None:
            self.sent.append(command)
            original(connection, command, check_health)

        monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counting)


@pytest.mark.django_db
@pytest.mark.parametrize("path", [PROVIDERS, "/api/v1/models/openai/o4-mini/rating/"])
def test_a_warm_document_read_is_one_redis_round_trip_with_its_throttle_charge(
    monkeypatch: pytest.MonkeyPatch, path: str
):
    # given a document already rendered and kept (the first read)
    from tests.factories import AIModelFactory, ProviderFactory

    AIModelFactory(provider=ProviderFactory(slug="openai"), slug="openai/o4-mini")
    client = APIClient()
    first = client.get(path)
    assert first.status_code == 200
    # when the same client reads it again
    trips = _RoundTrips(monkeypatch)
    again = client.get(path)
    monkeypatch.undo()
    # then the body is the same, and the counter and the document took one round trip
    assert again.status_code == 200
    assert again.content == first.content
    assert len(trips.sent) == 1
    # and the request was counted all the same
    assert [_redis().get(key) for key in _counter_keys()] == [b"2"]


@pytest.mark.django_db
def test_a_request_refused_with_its_read_gets_429_and_no_document():
    client = APIClient()
    with _rates(anon="2/min"):
        statuses = [client.get(PROVIDERS) for _ in range(3)]
    assert [r.status_code for r in statuses[:2]] == [200, 200]
    assert statuses[2].status_code == 429
    assert statuses[2].json()["code"] == "throttled"
    assert "results" not in statuses[2].json()
    assert int(statuses[2]["Retry-After"]) >= 1


@pytest.mark.django_db
def test_a_view_that_answers_before_reading_the_cache_is_still_charged():
    # given a cost view (it defers its charge to its document read) and a bad parameter,
    # refused before any read
    from tests.factories import AIModelFactory, ProviderFactory

    AIModelFactory(provider=ProviderFactory(slug="openai"), slug="openai/o4-mini")
    client = APIClient()
    bad = "/api/v1/models/openai/o4-mini/cost/?input_tokens=-1"
    with _rates(anon="2/min"):
        statuses = [client.get(bad).status_code for _ in range(3)]
    # then each 400 was counted, and the third request over the limit is a 429
    assert statuses == [400, 400, 429]
