"""Our own migration operations (config/migration_ops.py) on the real PostgreSQL."""

import pytest
from django.db import connection, migrations

from config.migration_ops import LockTimeout, _invalid_index_drop

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]


def _index_valid(name: str) -> bool | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s",
            [name],
        )
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


def test_a_failed_online_index_build_is_dropped_before_the_rerun() -> None:
    # given an INVALID index left by a failed CREATE INDEX CONCURRENTLY (duplicates refuse
    # a unique index once the build has started)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE migration_ops_t (v int)")
        cursor.execute("INSERT INTO migration_ops_t VALUES (1), (1)")
    try:
        with (
            pytest.raises(Exception, match="could not create unique index"),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "CREATE UNIQUE INDEX CONCURRENTLY migration_ops_i ON migration_ops_t (v)"
            )
        assert _index_valid("migration_ops_i") is False

        # when the rerun's first step runs
        with connection.schema_editor(atomic=False) as editor:
            _invalid_index_drop(editor, "migration_ops_i")

        # then the invalid index is gone, and a valid one is left alone
        assert _index_valid("migration_ops_i") is None
        with connection.cursor() as cursor:
            cursor.execute("CREATE INDEX migration_ops_j ON migration_ops_t (v)")
        with connection.schema_editor(atomic=False) as editor:
            _invalid_index_drop(editor, "migration_ops_j")
        assert _index_valid("migration_ops_j") is True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS migration_ops_t")


def test_lock_timeout_is_set_then_reset() -> None:
    def current() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            return cursor.fetchone()[0]

    before = current()
    with connection.schema_editor(atomic=False) as editor:
        state = migrations.state.ProjectState()
        LockTimeout(5).database_forwards("reviews", editor, state, state)
        assert current() == "5s"
        LockTimeout(None).database_forwards("reviews", editor, state, state)
    assert current() == before
