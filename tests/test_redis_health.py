"""The Redis circuit (config/redis_health.py) on its own: open, skip, probe, close, budget."""

import logging
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from config.redis_health import (
    RedisCircuit,
    RedisUnavailable,
    _request_failures,
    is_outage,
    redis_address,
)


def _down() -> None:
    raise RedisConnectionError("refused")


def test_an_outage_opens_once_skips_then_one_probe_closes(settings, caplog):
    settings.REDIS_CIRCUIT_OPEN_SECONDS = 0.2
    circuit = RedisCircuit("127.0.0.1:1")
    with caplog.at_level(logging.WARNING, logger="config.redis_health"):
        with pytest.raises(RedisConnectionError):
            circuit.call(_down)
        for _ in range(5):  # skipped at once, no new log line
            with pytest.raises(RedisUnavailable):
                circuit.call(lambda: "never called")
        time.sleep(0.25)
        assert circuit.call(lambda: "ok") == "ok"  # the probe
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "circuit open" in messages[0]
    assert "5 call(s) skipped" in messages[1]
    assert not circuit.is_open


def test_within_a_request_one_failure_skips_every_other_redis_call():
    cache, broker = RedisCircuit("127.0.0.1:1"), RedisCircuit("127.0.0.1:2")
    token = _request_failures.set([])
    try:
        with pytest.raises(RedisConnectionError):
            cache.call(_down)
        assert broker.allow() is False  # another server, same request: skipped
    finally:
        _request_failures.reset(token)
    assert broker.allow() is True  # the next request may call it


def test_outages_are_connection_errors_timeouts_and_oom_not_other_answers():
    assert is_outage(RedisConnectionError("x"))
    assert is_outage(ResponseError("OOM command not allowed when used memory > 'maxmemory'."))
    assert not is_outage(ResponseError("WRONGTYPE Operation against a key"))
    assert not is_outage(ValueError("bug"))


def test_addresses_name_the_server_or_the_transport():
    assert redis_address("rediscache://10.0.0.5:6380/1") == "10.0.0.5:6380"
    assert redis_address("redis://127.0.0.1/0") == "127.0.0.1:6379"
    assert redis_address("filesystem://") == "filesystem"
