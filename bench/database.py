"""Step 1: the bench database, the real catalog, and the synthetic users and reviews by COPY.

Only databases whose name starts with `aimodels_bench` are ever dropped or created, and only
Redis databases 12 and 13 flushed (or those BENCH_OWNED_REDIS_DBS names): a run cannot touch
development or test data.
"""

import itertools
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

import psycopg
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection, models, transaction

from bench.dataset import DatasetSpec, ModelRef, Plan, Texts, plan, review_rows, user_rows
from bench.progress import BenchError, say

BENCH_DB_PREFIX = "aimodels_bench"
BENCH_REDIS_DBS = (12, 13)
# Redis dbs someone running the bench beside others owns instead (e.g. "4,5"), named on
# purpose: the bench flushes them.
OWNED_REDIS_DBS_ENV = "BENCH_OWNED_REDIS_DBS"


def _database_settings() -> dict[str, Any]:
    db = settings.DATABASES["default"]
    if not db["NAME"].startswith(BENCH_DB_PREFIX):
        raise BenchError(f"refusing to use database {db['NAME']!r}: not a {BENCH_DB_PREFIX}* one")
    return db


def database_reset() -> str:
    """Drop and create the bench database (connections to it are ended first)."""
    db = _database_settings()
    connection.close()
    params: dict[str, Any] = {
        "dbname": "postgres",
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as admin:
        name = psycopg.sql.Identifier(db["NAME"])
        admin.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(name))
    return db["NAME"]


def redis_flush() -> None:
    """Empty the bench's cache and broker databases, so no old task or cached body survives."""
    for url in (settings.CACHES["default"]["LOCATION"], settings.CELERY_BROKER_URL):
        client = redis.Redis.from_url(url)
        db = client.connection_pool.connection_kwargs.get("db", 0)
        owned = {int(x) for x in os.environ.get(OWNED_REDIS_DBS_ENV, "").split(",") if x.strip()}
        if db not in BENCH_REDIS_DBS and db not in owned:
            raise BenchError(
                f"refusing to flush Redis db {db} ({url}): the bench owns 12 and 13 "
                f"(or the dbs {OWNED_REDIS_DBS_ENV} names)"
            )
        client.flushdb()
        client.close()


def schema_and_catalog() -> int:
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_shipped_catalog", stdout=_Discard())
    from models_catalog.models import AIModel

    return AIModel.objects.count()


class _Discard:
    def write(self, *_: Any) -> None:
        pass

    def flush(self) -> None:
        pass


def catalog_refs() -> list[ModelRef]:
    from models_catalog.models import AIModel

    return [
        ModelRef(id=m.id, slug=m.slug, version_slug=m.version_slug)
        for m in AIModel.objects.order_by("id").only("id", "slug", "version_slug")
    ]


def _fill_plan(
    model: type[models.Model], provided: Iterable[str]
) -> tuple[list[str], list[tuple[str, Any]]]:
    """Columns to COPY and, per column, where its value comes from: the generated row or
    the field's default. A new NOT NULL column without a default the bench does not know
    stops the run, naming it."""
    provided = set(provided)
    columns: list[str] = []
    sources: list[tuple[str, Any]] = []
    for field in model._meta.concrete_fields:
        if field.generated:  # computed by the database (e.g. Review.use_case_mask)
            continue
        name = field.attname
        if name in provided:
            sources.append((name, None))
        elif field.has_default() or (field.empty_strings_allowed and not field.null):
            # An explicit default, or "" for a text column without one (as the ORM does).
            sources.append((name, field.get_db_prep_save(field.get_default(), connection)))
        elif field.null:
            sources.append((name, None))
        else:
            raise BenchError(
                f"{model.__name__}.{name} is NOT NULL without a default and the bench does not "
                "know how to fill it: teach bench/database.py"
            )
        assert field.column is not None  # a concrete field has its column
        columns.append(field.column)
    return columns, sources


def copy_rows(
    model: type[models.Model],
    rows: Iterator[dict[str, Any]],
    *,
    label: str,
    total: int,
) -> float:
    """COPY `rows` into the model's table in one transaction; returns the seconds taken."""
    first = next(rows)
    columns, sources = _fill_plan(model, first.keys())
    table = model._meta.db_table
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    started = time.perf_counter()
    report_every = max(total // 10, 50_000)
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for count, row in enumerate(itertools.chain([first], rows), 1):
            copy.write_row(
                [
                    row[name] if default is None and name in row else default
                    for name, default in sources
                ]
            )
            if count % report_every == 0 and count < total:
                elapsed = time.perf_counter() - started
                say(f"  {label}: {count:,}/{total:,} rows ({count / elapsed:,.0f} rows/s)")
    elapsed = time.perf_counter() - started
    say(f"  {label}: {count:,} rows in {elapsed:.1f} s ({count / elapsed:,.0f} rows/s)")
    return elapsed


def sequences_reset(*models_: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            top = f"COALESCE((SELECT max(id) FROM {table}), 1)"  # noqa: S608 (from _meta)
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), {top})", [table])


def analyze() -> float:
    """VACUUM (ANALYZE), not ANALYZE alone: production's autovacuum sets the visibility map
    of loaded pages soon after a load, which makes COUNTs over an index (the review pages'
    `count`, the moderation queue's) index-only scans. The bench's PostgreSQL may run with
    autovacuum off (a shared machine's quiet setting); without this every such count then
    fetched each row from the heap, a cost production does not pay. VACUUM cannot run in a
    transaction: inside one (the loader's tests), ANALYZE alone."""
    started = time.perf_counter()
    # VACUUM cannot run in a transaction: the bench's own tests load inside one (ANALYZE).
    statement = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        cursor.execute(statement)
    return time.perf_counter() - started


# Memory for rebuilding the indexes after the COPY (this session's transaction only).
REBUILD_MAINTENANCE_WORK_MEM = "512MB"


def _secondary_objects(table: str) -> tuple[list[str], list[str], list[str]]:
    """What slows a bulk COPY into `table`, as (drop, create indexes, add constraints) SQL:
    its unique, foreign key and exclusion constraints and its indexes other than the primary
    key. Check constraints, NOT NULL and generated columns stay: every row still meets them as
    it arrives, and the re-added constraints validate every row again (a row the product
    would refuse stops the load)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f', 'x') "
            "ORDER BY contype, conname",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
            "AND k.conrelid = i.indrelid) ORDER BY c.relname",
            [table],
        )
        indexes = cursor.fetchall()
    quoted = connection.ops.quote_name
    drop = [
        f"ALTER TABLE {quoted(table)} DROP CONSTRAINT {quoted(name)}" for name, _, _ in constraints
    ]
    drop += [f"DROP INDEX {quoted(name)}" for name, _ in indexes]
    create = [definition for _, definition in indexes]
    # Unique (and exclusion) constraints build their indexes; foreign keys last.
    add = [
        f"ALTER TABLE {quoted(table)} ADD CONSTRAINT {quoted(name)} {definition}"
        for name, kind, definition in sorted(constraints, key=lambda c: c[1] == "f")
    ]
    return drop, create, add


def _rebuild(table: str, statements: list[str]) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('maintenance_work_mem', %s, true)", [REBUILD_MAINTENANCE_WORK_MEM]
        )
        for sql in statements:
            one = time.perf_counter()
            cursor.execute(sql)
            say(f"  {table}: {_short(sql)} ({time.perf_counter() - one:.1f} s)")
    return time.perf_counter() - started


def _short(sql: str) -> str:
    return sql if len(sql) <= 110 else sql[:107] + "..."


def copy_bulk(
    model: type[models.Model],
    rows: Iterator[dict[str, Any]],
    *,
    label: str,
    total: int,
    bulk: bool = True,
) -> dict[str, float]:
    """COPY into a table without its secondary indexes and non-check constraints, then build
    them again, in one transaction: a failed load leaves the table as it was."""
    if not bulk:  # every index and constraint kept and maintained row by row
        return {"copy_s": copy_rows(model, rows, label=label, total=total), "rebuild_s": 0.0}
    table = model._meta.db_table
    with transaction.atomic():
        drop, create, add = _secondary_objects(table)
        with connection.cursor() as cursor:
            for sql in drop:
                cursor.execute(sql)
        copy_s = copy_rows(model, rows, label=label, total=total)
        say(f"  {label}: building {len(create)} indexes and {len(add)} constraints again")
        rebuild_s = _rebuild(table, create + add)
    return {"copy_s": copy_s, "rebuild_s": rebuild_s}


def load_reviews(
    spec: DatasetSpec,
    refs: list[ModelRef],
    texts: Texts,
    *,
    bulk: bool = True,
) -> tuple[Plan, dict[str, Any]]:
    """Users then reviews by COPY (secondary indexes and constraints built after the rows,
    not row by row), sequences moved past the loaded ids, then VACUUM (ANALYZE). Without
    `bulk`, the indexes and constraints stay in place during the COPY (`bench run`: with the
    trigram index on bodies that reviews/migrations/0014 dropped, building it after the COPY
    cost more than keeping it, 279 s at 1M in one measurement)."""
    from accounts.models import User
    from reviews.models import Review

    started = time.perf_counter()
    the_plan = plan(len(refs), spec)
    timings: dict[str, Any] = {"plan_s": time.perf_counter() - started}
    users = copy_bulk(
        User, user_rows(spec, the_plan.users), label="users", total=the_plan.users, bulk=bulk
    )
    reviews = copy_bulk(
        Review,
        review_rows(spec, refs, the_plan, texts),
        label="reviews",
        total=spec.reviews,
        bulk=bulk,
    )
    timings.update(
        copy_users_s=users["copy_s"],
        rebuild_users_s=users["rebuild_s"],
        copy_reviews_s=reviews["copy_s"],
        rebuild_reviews_s=reviews["rebuild_s"],
    )
    sequences_reset(User, Review)
    timings["analyze_s"] = analyze()
    timings["load_s"] = time.perf_counter() - started
    timings["reviews_per_s"] = spec.reviews / timings["load_s"]
    say(
        f"  load: {spec.reviews:,} reviews and {the_plan.users:,} users in "
        f"{timings['load_s']:.1f} s ({timings['reviews_per_s']:,.0f} reviews/s overall: plan "
        f"{timings['plan_s']:.1f} s, COPY {reviews['copy_s']:.1f} s, indexes and constraints "
        f"{reviews['rebuild_s'] + users['rebuild_s']:.1f} s, "
        f"VACUUM ANALYZE {timings['analyze_s']:.1f} s)"
    )
    return the_plan, timings
