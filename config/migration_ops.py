"""Migration operations of our own."""

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations


def _invalid_index_drop(schema_editor: Any, name: str) -> None:
    """A build that failed (a deadlock, a lock timeout, a cancel) leaves an INVALID index of
    that name, on which the rerun would fail: drop it first (CONCURRENTLY, as it was built)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND NOT i.indisvalid",
            [name],
        )
        invalid = cursor.fetchone() is not None
    if invalid:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY {schema_editor.quote_name(name)}")


class AddIndexOnline(AddIndexConcurrently):
    """`AddIndex` built with CREATE INDEX CONCURRENTLY on PostgreSQL: a plain CREATE INDEX
    holds off every writer of the table while it reads it all (the outbox's tables take a
    write per published review). Elsewhere (SQLite, `make run`) a plain AddIndex. Its
    migration sets `atomic = False`, as CONCURRENTLY runs outside a transaction."""

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            _invalid_index_drop(schema_editor, self.index.name)
            super().database_forwards(app_label, schema_editor, *args)
        else:
            migrations.AddIndex.database_forwards(self, app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, *args)
        else:
            migrations.AddIndex.database_backwards(self, app_label, schema_editor, *args)


class LockTimeout(migrations.RunSQL):
    """On PostgreSQL, `SET lock_timeout` for the operations that follow in a non-atomic
    migration (None: RESET). An ALTER TABLE waiting behind a long transaction would hold
    every reader and writer of the table queued behind it; with a timeout it fails instead,
    and the migration is simply run again. Elsewhere: nothing."""

    def __init__(self, seconds: float | None) -> None:
        sql = "RESET lock_timeout" if seconds is None else f"SET lock_timeout = '{seconds}s'"
        super().__init__(sql, reverse_sql=sql, elidable=False)

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, *args)
