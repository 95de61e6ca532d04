from django.db import migrations

# The GIN trigram index on review bodies (0004) served the near-duplicate check while it
# started from the index (`body % text`). The check now scores a bounded set of candidates
# (reviews.integrity.similarity: the model's most recent reviews and the author's), and
# `similarity()` is not indexable, so no query reads the index: it only cost every review
# insert, and every update that is not HOT (a verification changes the indexed status), a
# GIN insertion of the body's trigrams and, now and then, a cleanup of its pending list.
# Dropped CONCURRENTLY: readers and writers of the reviews go on meanwhile. pg_trgm stays
# (similarity(), the highlights' grouping).
INDEX = "review_body_trgm_idx"


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


def _create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} "
            "ON reviews_review USING gin (body gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY runs outside a transaction

    dependencies = [
        ("reviews", "0013_integrity_scan_due"),
    ]

    operations = [migrations.RunPython(_drop, _create, elidable=False)]
