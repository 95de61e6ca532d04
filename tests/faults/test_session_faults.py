"""`cached_db` sessions (config/sessions.py) while Redis is down: a signed-in person keeps
working from the database copy and can sign out; no 500, no traceback."""

import logging
from typing import Any

import pytest

from tests.accounts.conftest import APP, AppClient
from tests.conftest import PERSONA_PASSWORD, make_user
from tests.faults.conftest import RedisProcess

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_with_redis_down_a_session_is_read_from_the_database_and_ends(
    on_own_redis: RedisProcess, caplog: Any
) -> None:
    # given a person signed in while Redis was up (the session is in both copies)
    user = make_user()
    client = AppClient()
    assert client.login(user.email, PERSONA_PASSWORD).status_code == 200

    # when Redis stops, and the person reads its account, then signs out
    on_own_redis.stop()
    with caplog.at_level(logging.WARNING):
        me = client.request("get", "/api/v1/me/")
        logout = client.request("delete", f"{APP}/auth/session")
        after = client.request("get", "/api/v1/me/")

    # then the session came from the database, the sign-out worked, the token is dead
    assert me.status_code == 200, me.content
    assert me.json()["email"] == user.email
    assert logout.status_code == 401  # allauth: "no longer authenticated"
    assert after.status_code == 401
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"

    # and when Redis comes back empty, the token still does not sign anyone in
    on_own_redis.start()
    assert client.request("get", "/api/v1/me/").status_code == 401
