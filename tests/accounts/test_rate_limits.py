"""allauth's rate limits: refused once exceeded, counted in the cache every process shares."""

import pytest
import redis
from allauth.account.adapter import get_adapter as get_account_adapter
from django.conf import settings as django_settings

from config.throttles import client_address
from tests.accounts.conftest import APP, AppClient, mails_to, serve
from tests.conftest import PERSONA_PASSWORD, make_user


def _error_codes(body: dict) -> set[str]:
    return {error["code"] for error in body.get("errors", [])}


def _login_failed_keys() -> list[bytes | str]:
    """allauth's login_failed counters, read from Redis itself (not through Django's cache)."""
    location = django_settings.CACHES["default"]["LOCATION"]
    client = redis.Redis.from_url(location[0] if isinstance(location, list) else location)
    return client.keys("*allauth:rl:allauth.account:login_failed:*")


@pytest.mark.django_db
def test_sixth_failed_login_for_one_account_is_refused_even_from_a_fresh_client():
    # given an account and five failed logins from one client
    user = make_user()
    attacker = AppClient()
    for _ in range(5):
        response = attacker.login(user.email, "wrong-password")
        assert response.status_code == 400
        assert _error_codes(response.json()) == {"email_password_mismatch"}

    # when a brand-new client (no cookies, no token) tries, even with the right password
    response = AppClient().login(user.email, PERSONA_PASSWORD)

    # then it is refused as rate-limited, and the counter is a key in Redis
    assert response.status_code == 400
    assert _error_codes(response.json()) == {"too_many_login_attempts"}
    assert _login_failed_keys(), "the counter must live in the shared Redis cache"


@pytest.mark.django_db(transaction=True)
def test_failed_login_limit_holds_across_two_server_processes(tmp_path):
    # given an account and two separate server processes on different ports
    user = make_user()
    credentials = {"email": user.email, "password": "wrong-password"}
    with serve(tmp_path, count=2) as (first, second):
        # when five logins fail against the first process
        for _ in range(5):
            status, body = first.call("post", f"{APP}/auth/login", credentials)
            assert (status, _error_codes(body)) == (400, {"email_password_mismatch"})

        # then the second process refuses the sixth, though its password is right
        status, body = second.call(
            "post", f"{APP}/auth/login", {"email": user.email, "password": PERSONA_PASSWORD}
        )
    assert (status, _error_codes(body)) == (400, {"too_many_login_attempts"})


@pytest.mark.django_db
def test_signup_is_rate_limited_per_ip(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/m/ip"}
    client = AppClient()
    assert client.signup("one@example.org").status_code == 401
    assert AppClient().signup("two@example.org").status_code == 401
    assert AppClient().signup("three@example.org").status_code == 429


@pytest.mark.django_db
def test_password_reset_mail_to_one_address_is_at_most_three_an_hour(commit, verified):
    payload = {"email": verified.user.email}
    with commit():
        statuses = [
            AppClient().request("post", f"{APP}/auth/password/request", payload).status_code
            for _ in range(5)
        ]
    assert statuses == [200] * 3 + [429] * 2
    assert len(mails_to(verified.user.email)) == 3


@pytest.mark.django_db
def test_signup_refuses_a_password_like_the_email():
    response = AppClient().signup("marvin.paranoid@example.org", password="marvin.paranoid")
    assert response.status_code == 400
    assert {error["param"] for error in response.json()["errors"]} == {"password"}
    assert "too similar" in response.json()["errors"][0]["message"]


def test_client_ip_ignores_forwarded_for_without_trusted_proxies(rf, settings):
    request = rf.post("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == 0
    assert get_account_adapter().get_client_ip(request) == "198.51.100.7"
    assert client_address(request) == "198.51.100.7"


def test_client_ip_comes_from_forwarded_for_behind_trusted_proxies(rf, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # the client forged the first entry; our one proxy appended the address it saw
    request = rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.66, 203.0.113.9")
    assert get_account_adapter().get_client_ip(request) == "203.0.113.9"
    assert client_address(request) == "203.0.113.9"


def test_forwarded_for_from_a_peer_that_is_not_our_proxy_is_ignored(rf, settings):
    # given proxies configured, a client that talks to the app directly (not via the proxy)
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = rf.post("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9")
    # then it is counted against its own address, for allauth and the API alike
    assert get_account_adapter().get_client_ip(request) == "198.51.100.7"
    assert client_address(request) == "198.51.100.7"
    # and garbage in the header from a trusted peer falls back to the peer
    garbage = rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_address(garbage) == "10.0.0.2"


def test_drf_trusts_the_same_number_of_proxies_as_allauth():
    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == (
        django_settings.ALLAUTH_TRUSTED_PROXY_COUNT
    )
