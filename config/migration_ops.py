"""Migration operations of our own."""

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations


class AddIndexOnline(AddIndexConcurrently):
    """`AddIndex` built with CREATE INDEX CONCURRENTLY on PostgreSQL: a plain CREATE INDEX
    holds off every writer of the table while it reads it all (the outbox's tables take a
    write per published review). Elsewhere (SQLite, `make run`) a plain AddIndex. Its
    migration sets `atomic = False`, as CONCURRENTLY runs outside a transaction."""

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, *args)
        else:
            migrations.AddIndex.database_forwards(self, app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, *args)
        else:
            migrations.AddIndex.database_backwards(self, app_label, schema_editor, *args)
