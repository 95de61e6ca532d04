"""Django's Redis cache, reusing one redis-py client per connection pool.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache call, and
building one registers ~170 response callbacks: about a fifth of a warm rating read. The
client is pool-backed and thread-safe, and Django keeps one cache object per thread anyway,
so one client per pool is enough.

Every cache operation goes through the circuit of its server (config.redis_health): while
Redis is known to be down or frozen, an operation raises RedisUnavailable at once instead of
waiting for the socket timeout again, so throttles, rate limits, the rating cache and the
debounce keys fail open fast. Everything else is Django's.

`FailOpenCache` is the default cache as allauth's rate limits see it (accounts.apps): there
an outage reads as a miss and a write as done, so sign-up, login and password reset are not
limited while Redis is unreachable, instead of answering 500. Every other caller keeps the
fail-fast cache and its own fallback.
"""

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from config.redis_health import RedisCircuit, fallback_log, is_outage, redis_circuit

logger = logging.getLogger(__name__)
T = TypeVar("T")


class _ReusingClient(RedisCacheClient):
    # Django's own (private) members this builds on; django-stubs leaves them out.
    _client: Callable[..., Any]  # the redis.Redis class
    _get_connection_pool: Callable[[bool], Any]
    _servers: list[str]
    _serializer: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        # One server per cache here (CACHE_URL); replicas would share the primary's fate.
        self._circuit: RedisCircuit = redis_circuit(self._servers[0])

    @property
    def circuit(self) -> RedisCircuit:
        """For callers of the raw client (`get_client`): call it through `circuit.call`."""
        return self._circuit

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # pools live as long as this object
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient


def _guarded(name: str) -> Callable[..., Any]:
    method = getattr(RedisCacheClient, name)

    @functools.wraps(method)
    def call(self: _ReusingClient, *args: Any, **kwargs: Any) -> Any:
        return self._circuit.call(method, self, *args, **kwargs)

    return call


# Every operation Django's RedisCache performs (pipelines included: set_many runs in one).
for _name in (
    "add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many",
    "delete_many", "clear",
):  # fmt: skip
    setattr(_ReusingClient, _name, _guarded(_name))


def hot_get_many(keys: Sequence[str]) -> dict[str, Any]:
    """`cache.get_many(keys)` for the hottest reads (a document's head and tokens): one MGET
    on the reused client through the circuit, without Django's per-key validation (warnings
    about memcached's key rules, a loop over every character) and its layers: ~55 us less a
    call here (3 keys: 209 -> 154 us). Other caches (the file cache of `make run`): get_many.
    Raises as get_many would (RedisUnavailable, a connection error) for the caller's fallback."""
    backend = getattr(cache, "_cache", None)
    if not isinstance(backend, _ReusingClient):
        return cache.get_many(keys)
    client = backend.get_client(None, write=False)
    values = backend.circuit.call(client.mget, [cache.make_key(key) for key in keys])
    loads = backend._serializer.loads
    return {key: loads(value) for key, value in zip(keys, values, strict=True) if value is not None}


class FailOpenCache:
    """The default cache (whatever backend it is), failing open on an outage: `get` answers
    the default, `add` True (allauth's lock is taken), `set` and `delete` do nothing. The
    outage itself is logged once by its circuit; any other error is raised as before.
    For allauth's rate limits only, where an unlimited request beats a refused one."""

    @staticmethod
    def _open(call: Callable[[], T], fallback: T, key: str) -> T:
        try:
            return call()
        except Exception as exc:
            if not is_outage(exc):
                raise
            fallback_log(logger, "rate-limit cache unreachable; %s not limited", key)
            return fallback

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._open(lambda: cache.add(key, value, timeout, version), True, key)

    def get(self, key: str, default: Any = None, version: Any = None) -> Any:
        return self._open(lambda: cache.get(key, default, version), default, key)

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._open(lambda: cache.set(key, value, timeout, version), None, key)

    def delete(self, key: str, version: Any = None) -> bool:
        return self._open(lambda: cache.delete(key, version), False, key)

    def __getattr__(self, name: str) -> Any:
        return getattr(cache, name)  # anything else allauth may call: as the default cache
