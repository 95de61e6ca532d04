"""Sessions are `cached_db` (config/sessions.py): read from the shared cache, written to the
database too, the cached copy bounded by SESSION_CACHE_SECONDS."""

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.sessions import SessionStore
from tests.accounts.conftest import AppClient
from tests.conftest import PERSONA_PASSWORD, make_user

pytestmark = pytest.mark.django_db


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
