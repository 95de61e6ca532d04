"""A real streaming replica: public reads served by it, a writer reading its own writes from the
primary, a lagging replica (replay paused) and a stopped one taken out of use, /readyz saying so.

The test builds its own PostgreSQL pair (tests/postgres_pair.py), never the shared cluster on
5432: a primary made with initdb, migrated, then a hot standby cloned from it with
`pg_basebackup -R`, both logging every statement (log_statement=all): the logs show which
server served which read. The app runs in a gunicorn process with
DATABASE_URL on the primary and REPLICA_DATABASE_URL on the replica.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.accounts.conftest import APP, Server, serve, wait_for
from tests.conftest import PERSONA_PASSWORD
from tests.postgres_pair import Cluster, caught_up, manage, require_server_binaries, streaming_pair

pytestmark = pytest.mark.faults
MAX_LAG = 5.0  # seconds: REPLICA_MAX_LAG_SECONDS of the server under test
USER_QUERY = 'FROM "accounts_user"'  # what a profile read runs, as logged

require_server_binaries()


@dataclass
class Fleet:
    primary: Cluster
    replica: Cluster
    server: Server
    late_checker: Server


def _writer(primary: Cluster) -> None:
    code = (
        "from tests.conftest import make_user;"
        "make_user(username='writer', email='writer@example.org', display_name='first')"
    )
    manage("shell", "-c", code, DATABASE_URL=primary.url())


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    with streaming_pair(prepare=_writer) as (primary, replica):
        settings = {
            "DATABASE_URL": primary.url(),
            "REPLICA_DATABASE_URL": replica.url(),
            "REPLICA_MAX_LAG_SECONDS": str(MAX_LAG),
            "REPLICA_CHECK_SECONDS": "0.2",
            "REPLICA_RETRY_SECONDS": "0.5",
            "REPLICA_PIN_SECONDS": "30",
        }
        # A second server that measured the replica once and will not again for an hour: a
        # replica that dies under it fails in the middle of a read.
        late = {**settings, "REPLICA_CHECK_SECONDS": "3600", "REPLICA_RETRY_SECONDS": "3600"}
        with (
            serve(tmp_path_factory.mktemp("replica-server"), 1, **settings) as (server,),
            serve(tmp_path_factory.mktemp("replica-late"), 1, **late) as (late_checker,),
        ):
            yield Fleet(primary, replica, server, late_checker)


def _caught_up(fleet: Fleet) -> None:
    """A fresh commit on the primary, waited for on the replica: its lag starts from zero."""
    caught_up(fleet.primary, fleet.replica)


def _display_name(fleet: Fleet, token: str | None = None, server: Server | None = None) -> str:
    if token is None:
        status, body = (server or fleet.server).call("get", "/api/v1/users/writer/")
    else:
        status, body = fleet.server.call("get", "/api/v1/me/", headers={"X-Session-Token": token})
    assert status == 200, body
    return body["display_name"]


def _readyz(fleet: Fleet) -> tuple[int, dict]:
    return fleet.server.call("get", "/readyz")


def test_public_reads_use_the_replica_and_a_writer_reads_its_own_writes(fleet: Fleet) -> None:
    # given a writer signed in through allauth (a write: the login pins its new session)
    status, body = fleet.server.call(
        "post", f"{APP}/auth/login", {"email": "writer@example.org", "password": PERSONA_PASSWORD}
    )
    assert status == 200, body
    token = body["meta"]["session_token"]
    _caught_up(fleet)
    status, ready = _readyz(fleet)
    assert (status, ready["checks"]["replica"]) == (200, "ok"), ready

    # when an anonymous reader reads the public profile
    on_primary, on_replica = fleet.primary.logged(USER_QUERY), fleet.replica.logged(USER_QUERY)
    assert _display_name(fleet) == "first"
    # then the replica served it, the primary did not
    assert fleet.replica.logged(USER_QUERY) > on_replica
    assert fleet.primary.logged(USER_QUERY) == on_primary

    # given the replica stops replaying (it keeps answering, with the old rows)
    _caught_up(fleet)
    fleet.replica.sql("SELECT pg_wal_replay_pause()")
    started = time.monotonic()
    # when the writer changes its name and reads it back at once
    status, body = fleet.server.call(
        "patch", "/api/v1/me/", {"display_name": "second"}, headers={"X-Session-Token": token}
    )
    assert status == 200, body
    on_primary, on_replica = fleet.primary.logged(USER_QUERY), fleet.replica.logged(USER_QUERY)
    own_read = _display_name(fleet, token)
    writer_logged = fleet.primary.logged(USER_QUERY) - on_primary, fleet.replica.logged(USER_QUERY)
    public_read = _display_name(fleet)
    assert time.monotonic() - started < MAX_LAG, "too slow: the replica was already out of use"
    # then the writer reads its write from the primary, while the replica still serves the
    # public the old row (proof that the public read did come from the lagging replica)
    assert own_read == "second"
    assert writer_logged[0] >= 1 and writer_logged[1] == on_replica
    assert public_read == "first"
    assert fleet.replica.logged(USER_QUERY) > on_replica

    # when the lag passes REPLICA_MAX_LAG_SECONDS
    def lagging() -> dict | None:
        status, ready = _readyz(fleet)
        return ready if status == 200 and ready["checks"]["replica"] == "lagging" else None

    ready = wait_for(lagging, timeout=MAX_LAG + 10)
    # then /readyz reports it (the process stays ready), and public reads go to the primary
    assert ready["replica_lag_seconds"] > MAX_LAG
    assert ready["checks"]["database"] == "ok"
    on_replica = fleet.replica.logged(USER_QUERY)
    assert _display_name(fleet) == "second"
    assert fleet.replica.logged(USER_QUERY) == on_replica

    # when replay resumes, the replica comes back into use
    fleet.replica.sql("SELECT pg_wal_replay_resume()")
    wait_for(lambda: _readyz(fleet)[1]["checks"]["replica"] == "ok", timeout=15)
    assert _display_name(fleet) == "second"
    assert fleet.replica.logged(USER_QUERY) > on_replica


def test_a_stopped_replica_is_taken_out_of_use(fleet: Fleet) -> None:
    # given the replica serves public reads, on both servers
    _caught_up(fleet)
    on_replica = fleet.replica.logged(USER_QUERY)
    assert _display_name(fleet) == "second"
    assert fleet.replica.logged(USER_QUERY) > on_replica
    on_replica = fleet.replica.logged(USER_QUERY)
    assert _display_name(fleet, server=fleet.late_checker) == "second"
    assert fleet.replica.logged(USER_QUERY) > on_replica

    # when it stops (an immediate shutdown, like a crash)
    fleet.replica.stop()

    # then every public read still answers, from the primary
    on_primary = fleet.primary.logged(USER_QUERY)
    for _ in range(5):
        assert _display_name(fleet) == "second"
    assert fleet.primary.logged(USER_QUERY) >= on_primary + 5
    # and /readyz names the replica unreachable while the process stays ready
    status, ready = _readyz(fleet)
    assert status == 200, ready
    assert ready["checks"] == {"database": "ok", "broker": "ok", "replica": "unreachable"}
    assert ready["replica_lag_seconds"] is None

    # and the server that still believed it healthy failed over in the middle of a read:
    # the read was served again from the primary, and the replica taken out of use
    for _ in range(3):
        assert _display_name(fleet, server=fleet.late_checker) == "second"
    late_log = fleet.late_checker.log.read_text()
    assert late_log.count("replica failed during a read; serving it from the primary") == 1
