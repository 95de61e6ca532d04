"""Sessions in the database with a copy in the shared cache (SESSION_ENGINE = "config.sessions").

Django's `cached_db`: a request reads its session (and an `app` client's X-Session-Token,
which names a session) from Redis instead of PostgreSQL; every write still goes to the
database, which stays the record. Differences from Django's store:

- Every cache call fails open (a Redis outage reads as a miss and skips the copy, logged once
  by its circuit): Django's store answers a 500 when the cache refuses the copy after a
  database read, or a delete.
- The cached copy lives at most SESSION_CACHE_SECONDS (not the session's two weeks): it bounds
  how long a session ended while Redis refused the delete can still be used from a copy.
- Inside a transaction (allauth's writing requests run in one, config.middleware), the copy
  is dropped at once and written (or dropped again) when the transaction commits: a request
  rolled back (a 5xx) must not leave in Redis a session state its database row never took,
  e.g. a login that failed half-way after the session was saved.
- Every saved session is reported to config.replica, which pins the client that holds it to
  the primary for a short while (read-your-writes, e.g. right after a login).
"""

import copy
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.db import router, transaction

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
        # A deep copy: the request may still change a nested value in place before the
        # commit, which the database row (encoded at save) did not take.
        key, snapshot = self.cache_key, copy.deepcopy(data)
        self._on_commit(key, lambda: self._cache_write(key, snapshot, age))

    def _cache_write(self, key: str, data: dict[str, Any], age: int) -> None:
        try:
            self._cache.set(key, data, self._cache_timeout(age))
        except Exception:
            fallback_log(logger, "session cache unreachable; copy not written")

    def _cache_drop(self, key: str) -> None:
        try:
            self._cache.delete(key)
        except Exception:
            # The copy ends within SESSION_CACHE_SECONDS anyway (see the module docstring).
            fallback_log(logger, "session cache unreachable; an old copy may remain")

    def _on_commit(self, key: str, change: Callable[[], None]) -> None:
        """Apply `change` to the copy now, or, inside a transaction, once it commits (never
        on a rollback). The copy is dropped at once meanwhile: until the commit, a read finds
        the database's committed row (a copy it writes back is overwritten by `change`, or
        dropped by a delete's)."""
        alias = router.db_for_write(self.model)
        if not transaction.get_connection(alias).in_atomic_block:
            change()
            return
        self._cache_drop(key)
        # robust: a failing cache call must not stop the request's other after-commit work
        # (the outbox's publish); ours log and swallow their errors anyway.
        transaction.on_commit(change, using=alias, robust=True)

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
        key = self.cache_key_prefix + session_key
        self._on_commit(key, lambda: self._cache_drop(key))
