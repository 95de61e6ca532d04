"""allauth's rate limits during a Redis outage (the test's own Redis, stopped or frozen):
sign-up, login and password reset answer at once instead of a 500; the limits are skipped
(fail open) and the outage is logged once, by the circuit."""

import logging
from collections.abc import Callable
from typing import Any

import pytest

from tests.accounts.conftest import APP, AppClient
from tests.conftest import PERSONA_PASSWORD, make_user
from tests.faults.conftest import RedisProcess, Stopwatch

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]
BOUND = 1.5  # seconds: the request budget is one cache socket timeout (0.5 s)


def _stop(server: RedisProcess) -> None:
    server.stop()


def _freeze(server: RedisProcess) -> None:
    server.freeze()  # SIGSTOP: connections accepted, nothing answered (the fixture thaws)


@pytest.mark.parametrize("fault", [_stop, _freeze], ids=["stopped", "frozen"])
def test_with_redis_down_signup_login_and_password_reset_answer_without_a_5xx(
    on_own_redis: RedisProcess, caplog: Any, fault: Callable[[RedisProcess], None]
) -> None:
    # given an account, and Redis (cache and broker) down
    user = make_user()
    watch = Stopwatch()
    fault(on_own_redis)

    # when a person signs up, another logs in, and one asks for a password reset
    with caplog.at_level(logging.WARNING):
        with watch.time():
            signup = AppClient().signup("newcomer@example.org")
        with watch.time():
            login = AppClient().login(user.email, PERSONA_PASSWORD)
        with watch.time():
            failed = AppClient().login(user.email, "wrong-password")
        with watch.time():
            reset = AppClient().request(
                "post", f"{APP}/auth/password/request", {"email": user.email}
            )

    # then each answers as with Redis up (the rate limits are skipped), within the bound
    responses = {"signup": signup, "login": login, "failed": failed, "reset": reset}
    statuses = {name: response.status_code for name, response in responses.items()}
    assert statuses == {"signup": 401, "login": 200, "failed": 400, "reset": 200}
    for response in responses.values():
        assert response["Content-Type"].startswith("application/json")
    assert watch.worst < BOUND, watch.times
    # and the outage is logged once, by the circuit, without a traceback
    messages = [r.getMessage() for r in caplog.records if r.name == "config.redis_health"]
    assert len([m for m in messages if "circuit open" in m]) == 1, messages
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
