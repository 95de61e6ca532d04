"""Sessions in the database with a copy in the shared cache (SESSION_ENGINE = "config.sessions").

Django's `cached_db`: a request reads its session (and an `app` client's X-Session-Token,
which names a session) from Redis instead of PostgreSQL; every write still goes to the
database, which stays the record. Differences from Django's store:

- Every cache call fails open (a Redis outage reads as a miss and skips the copy, logged once
  by its circuit): Django's store answers a 500 when the cache refuses the copy after a
  database read, or a delete.
- The cached copy lives at most SESSION_CACHE_SECONDS (not the session's two weeks): it bounds
  how long a session ended while Redis refused the delete can still be used from a copy.
- Every saved session is reported to config.replica, which pins the client that holds it to
  the primary for a short while (read-your-writes, e.g. right after a login).
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

from config.redis_health import fallback_log
from config.replica import session_saved

logger = logging.getLogger(__name__)


class SessionStore(CachedDBStore):
    # Django's own (private) members this builds on; django-stubs leaves them out.
    _cache: Any
    _session: dict[str, Any]
    _get_session_from_db: Callable[[], Any]

    def _cache_timeout(self, age: int) -> int:
        return max(1, min(age, settings.SESSION_CACHE_SECONDS))

    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            fallback_log(logger, "session cache unreachable; reading the database")
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        self._cache_set(data, self.get_expiry_age(expiry=stored.expire_date))
        return data

    def _cache_set(self, data: dict[str, Any], age: int) -> None:
        try:
            self._cache.set(self.cache_key, data, self._cache_timeout(age))
        except Exception:
            fallback_log(logger, "session cache unreachable; copy not written")

    def exists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        try:
            if (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:
            fallback_log(logger, "session cache unreachable; asking the database")
        return super(CachedDBStore, self).exists(session_key)

    def save(self, must_create: bool = False) -> None:
        super(CachedDBStore, self).save(must_create)
        self._cache_set(self._session, self.get_expiry_age())
        session_saved(self.session_key)

    def delete(self, session_key: str | None = None) -> None:
        super(CachedDBStore, self).delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:
            # The copy ends within SESSION_CACHE_SECONDS anyway (see the module docstring).
            logger.warning("session cache unreachable; a deleted session's copy remains")
