"""Sessions are `cached_db` (config/sessions.py): read from the shared cache, written to the
database too, the cached copy bounded by SESSION_CACHE_SECONDS."""

import threading

import pytest
import redis
from allauth.account.signals import authentication_step_completed
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from config.sessions import SessionStore
from tests.accounts.conftest import APP, AppClient
from tests.conftest import PERSONA_PASSWORD, make_user

# Committing transactions: the cached copy of a session saved inside a transaction is
# written when it commits (config/sessions.py), which a test in one transaction never does.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_signed_in_request_reads_its_session_from_the_cache_not_the_database():
    # given a person signed in through allauth's app client
    user = make_user()
    client = AppClient()
    assert client.login(user.email, PERSONA_PASSWORD).status_code == 200
    assert client.token
    # when it reads its account
    with CaptureQueriesContext(connection) as queries:
        response = client.request("get", "/api/v1/me/")
    # then the token's session came from the cache: no query touched the session table
    assert response.status_code == 200
    assert not [q["sql"] for q in queries if "django_session" in q["sql"]]
    # and the database holds it too (the record)
    assert SessionStore().exists(client.token)


def test_the_cached_copy_lives_at_most_session_cache_seconds(settings):
    # given a new session
    settings.SESSION_CACHE_SECONDS = 120
    session = SessionStore()
    session["marker"] = 1
    session.save()
    # then its cached copy expires within the bound, not the session's two weeks
    key = cache.make_key(SessionStore.cache_key_prefix + str(session.session_key))
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    ttl = client.ttl(key)
    assert 0 < ttl <= 120
    assert settings.SESSION_COOKIE_AGE > 120


def test_an_ended_session_is_gone_from_the_cache_too():
    session = SessionStore()
    session["marker"] = 1
    session.save()
    key = str(session.session_key)
    # when it is deleted (logout, erase: allauth ends sessions through the store)
    SessionStore().delete(key)
    # then neither copy answers
    assert SessionStore(key).load() == {}
    assert not SessionStore().exists(key)


def test_the_engine_is_ours():
    assert settings.SESSION_ENGINE == "config.sessions"


def _cached(session_key: str) -> object:
    return cache.get(SessionStore.cache_key_prefix + session_key)


def _records(session: dict) -> list[dict]:
    """allauth's log of the session's authentication steps (login, reauthentication)."""
    return session.get("account_authentication_methods", [])


class _FailedHalfWay(Exception):
    pass


def test_a_request_rolled_back_leaves_no_session_state_in_the_cache():
    # given a signed-in app client whose session's copy is in the cache
    user = make_user()
    client = AppClient()
    assert client.login(user.email, PERSONA_PASSWORD).status_code == 200
    token = str(client.token)
    assert client.request("get", f"{APP}/auth/session").status_code == 200
    assert _cached(token) is not None
    before = _records(SessionStore(token).load())

    # when a reauthentication records its step in the session, saves it (allauth saves an app
    # client's session even when the view fails) and then fails: a 500, rolled back
    def fail(**kwargs: object) -> None:
        raise _FailedHalfWay

    authentication_step_completed.connect(fail)
    client.http.raise_request_exception = False
    try:
        response = client.request(
            "post", f"{APP}/auth/reauthenticate", {"password": PERSONA_PASSWORD}
        )
    finally:
        authentication_step_completed.disconnect(fail)
    assert response.status_code == 500

    # then the next request sees the session as committed: no reauthentication on record,
    # neither in the cache nor in the database
    assert _records(SessionStore(token).load()) == before
    assert not any(record.get("reauthenticated") for record in before)
    assert client.request("get", f"{APP}/auth/session").status_code == 200
    assert _records(SessionStore(token).load()) == before


def test_a_session_saved_in_a_committed_transaction_is_copied_on_commit():
    with transaction.atomic():
        session = SessionStore()
        session["step"] = "done"
        session.save()
        key = str(session.session_key)
        assert _cached(key) is None  # not before the commit
    assert _cached(key) == {"step": "done"}


def test_a_session_ended_in_a_transaction_is_not_copied_back_by_a_read_meanwhile():
    # given a session, its copy in the cache
    session = SessionStore()
    session["marker"] = "signed in"
    session.save()
    key = str(session.session_key)
    with transaction.atomic():
        # when a logout deletes it, and before that commits another request reads it (the
        # row is still there for it) and writes the copy back
        SessionStore().delete(key)
        reader = threading.Thread(target=_read_in_another_connection, args=(key,))
        reader.start()
        reader.join(timeout=60)
        assert _cached(key) == {"marker": "signed in"}
    # then once the logout commits, the copy is gone too: the ended session answers nothing
    assert _cached(key) is None
    assert SessionStore(key).load() == {}


def _read_in_another_connection(key: str) -> None:
    try:
        SessionStore(key).load()
    finally:
        connection.close()
