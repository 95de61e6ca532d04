"""A PostgreSQL primary and a streaming read replica of the test's own, never the shared cluster
on 5432: the primary made with initdb on a port of its own and migrated, then a hot standby
cloned from it with `pg_basebackup -R` on another. Both log every statement
(log_statement=all), so a test can count which server served which read.

Used by tests/faults/test_replica.py (the replica's health gate) and tests/fleet/test_fleet.py
(the fleet's public reads). Ports: TEST_POSTGRES_PORTS ("5510,5511") when set (a shared
machine gives each run its own range), free ports otherwise.
"""

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import environ
import psycopg
import pytest

from tests.accounts.conftest import free_port, wait_for
from tests.conftest import PROJECT_DIR

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE = "aimodels"


def require_server_binaries() -> None:
    """Skip the calling module where PostgreSQL's server binaries are missing (the CI machine
    has PostgreSQL 15)."""
    if not (PG_BIN / "initdb").exists():  # pragma: no cover
        pytest.skip("PostgreSQL 15 server binaries not installed", allow_module_level=True)


def _as_postgres(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; the machine's `postgres` account runs our clusters.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Cluster:
    directory: Path
    port: int
    options: str = ""  # more `-c name=value` for the server

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    def url(self, database: str = DATABASE) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1"
            f" -c unix_socket_directories={self.directory} -c log_statement=all"
            f" -c fsync=off -c full_page_writes=off -c shared_buffers=16MB {self.options}"
        )
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log)]
        subprocess.run(_as_postgres([*command, "-o", options, "-w", "start"]), check=True)  # noqa: S603

    def stop(self) -> None:
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
        subprocess.run(_as_postgres(command), check=False, capture_output=True)  # noqa: S603

    def sql(self, query: str, database: str = DATABASE) -> list[tuple]:
        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(query)
            return cursor.fetchall() if cursor.description else []

    def logged(self, text: str) -> int:
        """How many logged statements contain `text`."""
        return sum(1 for line in self.log.read_text(errors="replace").splitlines() if text in line)


def manage(*arguments: str, **env: str) -> str:
    """`manage.py` in a process of its own, on the test settings (and `env`)."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _ports() -> tuple[int, int]:
    configured = os.environ.get("TEST_POSTGRES_PORTS", "")
    if configured:
        primary, replica = (int(port) for port in configured.split(",")[:2])
        return primary, replica
    return free_port(), free_port()


@contextmanager
def streaming_pair(
    prepare: Callable[["Cluster"], None] | None = None, replica_options: str = ""
) -> Iterator[tuple[Cluster, Cluster]]:
    """A migrated primary and its streaming replica, both running; removed afterwards.
    `prepare(primary)` runs before the base backup; `replica_options` are the standby's extra
    settings (e.g. `-c recovery_min_apply_delay=2s`: a replica that is always behind)."""
    # A directory the postgres account may enter (pytest's tmp dirs are root-only).
    root = Path(tempfile.mkdtemp(prefix="aimodels-replica-"))
    os.chmod(root, 0o755)  # noqa: S103
    primary_port, replica_port = _ports()
    primary = Cluster(root / "primary", primary_port)
    replica = Cluster(root / "replica", replica_port, replica_options)
    for cluster in (primary, replica):
        cluster.directory.mkdir()
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(cluster.directory, account.pw_uid, account.pw_gid)
    try:
        initdb = [str(PG_BIN / "initdb"), "-D", str(primary.data), "-U", "postgres"]
        subprocess.run(  # noqa: S603
            _as_postgres([*initdb, "--auth=trust", "--no-sync", "-E", "UTF8"]),
            check=True,
            capture_output=True,
        )
        # wal_level=replica is PostgreSQL 15's default; said here because the replica needs it.
        with (primary.data / "postgresql.conf").open("a") as conf:
            conf.write("\nwal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n")
        primary.start()
        primary.sql(f"CREATE DATABASE {DATABASE}", database="postgres")
        primary.sql("CREATE TABLE heartbeat (at timestamptz)")
        manage("migrate", "--noinput", DATABASE_URL=primary.url())
        if prepare is not None:
            prepare(primary)
        backup = [str(PG_BIN / "pg_basebackup"), "-D", str(replica.data), "-R", "-X", "stream"]
        backup += ["-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-c", "fast"]
        subprocess.run(_as_postgres(backup), check=True, capture_output=True)  # noqa: S603
        replica.start()
        assert replica.sql("SELECT pg_is_in_recovery()") == [(True,)]
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


def caught_up(primary: Cluster, replica: Cluster, timeout: float = 15) -> None:
    """A fresh commit on the primary, waited for on the replica: every earlier commit is
    there, and its lag starts from zero."""
    primary.sql("INSERT INTO heartbeat VALUES (now())")
    (lsn,) = primary.sql("SELECT pg_current_wal_lsn()::text")[0]
    query = f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"
    wait_for(lambda: replica.sql(query) == [(True,)], timeout=timeout)


@contextmanager
def default_database(url: str) -> Iterator[None]:
    """This process's `default` connection on the database at `url` for the block (the ORM,
    factories, management commands, and database_url_for_subprocess() all follow), then back
    on the test database. Django's own test runner renames `default` the same way."""
    from django.db import connection

    saved = dict(connection.settings_dict)
    target = environ.Env.db_url_config(url)
    connection.close()
    connection.settings_dict.update(
        {key: target[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    )
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
