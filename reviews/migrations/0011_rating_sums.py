import datetime as dt

import django.db.models.deletion
import reviews.models
from django.conf import settings
from django.db import migrations, models

# Running sums of the counted reviews (reviews.ratings.sums), PostgreSQL only. Frozen here:
# a later change of the counted-review predicate or of the sums needs its own migration
# (replace the functions, then `rating_sums_rebuild()`); `recompute_ratings --check` compares
# these sums with the ORM's grouped query, so a divergence cannot go unnoticed.
SUB_RATINGS = ("quality", "speed", "value", "reliability", "integration")
KEY = ("model_id", "use_case_mask", "model_version")
COUNTED = (
    "(status = 'published' OR (status = 'hidden' AND flagged_at IS NOT NULL))"
    " AND NOT conflict_of_interest AND NOT rating_held"
)
SOURCE = ", ".join([*KEY, "rating", "usage_verified", "published_at", *SUB_RATINGS])


def _aggregates(sign: str, weight: str) -> dict[str, str]:
    """Each sum's aggregate over rows with a `sign` (+1 added, -1 taken away)."""
    return {
        "count": f"COALESCE(SUM({sign}), 0)",
        "total": f"COALESCE(SUM({sign} * rating), 0)",
        **{f"star_{k}": f"COALESCE(SUM({sign}) FILTER (WHERE rating = {k}), 0)" for k in range(1, 6)},
        "usage_verified": f"COALESCE(SUM({sign}) FILTER (WHERE usage_verified), 0)",
        "weight_sum": f"COALESCE(SUM({sign} * {weight}), 0)",
        "weighted_total": f"COALESCE(SUM({sign} * {weight} * rating), 0)",
        **{f"{name}_sum": f"COALESCE(SUM({sign} * {name}), 0)" for name in SUB_RATINGS},
        **{
            f"{name}_count": f"COALESCE(SUM({sign}) FILTER (WHERE {name} IS NOT NULL), 0)"
            for name in SUB_RATINGS
        },
    }


SUMS = list(_aggregates("s", "w"))
# The weight's exponent: days since 2020-01-01 in half-lives (reviews.scoring.RECENCY_EPOCH).
X = (
    "(EXTRACT(EPOCH FROM published_at)::double precision - 1577836800.0::double precision)"
    " / (half_life_days * 86400.0::double precision)"
)
COLUMNS = ", ".join([*KEY, *SUMS])
WEIGHT = "reviews_rating_weight(published_at, h)"


def _select(source: str) -> str:
    aggregates = ", ".join(f"{v} AS {k}" for k, v in _aggregates("s", "w").items())
    return f"SELECT {', '.join(KEY)}, {aggregates} FROM ({source}) c GROUP BY 1, 2, 3"


def _journal(source: str) -> str:
    nonzero = " OR ".join(f"{value} <> 0" for value in _aggregates("s", "w").values())
    return f"INSERT INTO reviews_ratingsumsdelta ({COLUMNS}) {_select(source)} HAVING {nonzero};"


def _rows(table: str, sign: int) -> str:
    return f"SELECT {SOURCE}, {sign} AS s, {WEIGHT} AS w FROM {table} WHERE {COUNTED}"


FORWARD_SQL = f"""
-- The time-independent recency weight of reviews.scoring.recency_weight (the grouped query
-- computes the same in double precision), as numeric: a review's weight is the same number
-- each time, so what an insert adds an update or delete takes away exactly. STABLE as its
-- body (EXTRACT from a timestamptz) is: an IMMUTABLE label would stop it being inlined
-- (2.3x slower rebuild).
CREATE FUNCTION reviews_rating_weight(published_at timestamptz, half_life_days double precision)
RETURNS numeric LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN {X} BETWEEN -1000 AND 1000 THEN power(2.0::double precision, {X})::numeric
  -- beyond a double's range (a row forced in past the date constraint): in numeric, so the
  -- write still succeeds and the sums cancel exactly once it is fixed; reading such a sum as
  -- a double fails that model alone, as the scan does.
  ELSE power(2::numeric, ({X})::numeric) END
$$;

-- Statement-level: one delta row per (model, use-case mask, version) a statement changed,
-- bulk UPDATEs, admin actions and COPY included. Insert-only: no row of it is ever locked
-- by a writer, so writers never wait on each other here, whatever order they touch models.
CREATE FUNCTION reviews_rating_sums_journal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE h double precision;
BEGIN
  SELECT half_life_days INTO h FROM reviews_ratingsumsstate WHERE id = 1;
  IF h IS NULL THEN
    RETURN NULL;  -- sums not maintained (not built yet): the pipeline scans the reviews
  END IF;
  IF TG_OP = 'INSERT' THEN
    {_journal(_rows("new_rows", 1))}
  ELSIF TG_OP = 'DELETE' THEN
    {_journal(_rows("old_rows", -1))}
  ELSE
    {_journal(_rows("new_rows", 1) + " UNION ALL " + _rows("old_rows", -1))}
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER reviews_rating_sums_insert AFTER INSERT ON reviews_review
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION reviews_rating_sums_journal();
CREATE TRIGGER reviews_rating_sums_update AFTER UPDATE ON reviews_review
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION reviews_rating_sums_journal();
CREATE TRIGGER reviews_rating_sums_delete AFTER DELETE ON reviews_review
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION reviews_rating_sums_journal();

-- TRUNCATE fires no row or statement trigger above: it empties the sums too.
CREATE FUNCTION reviews_rating_sums_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM reviews_ratingsumsdelta;
  DELETE FROM reviews_modelratingsums;
  RETURN NULL;
END $$;
CREATE TRIGGER reviews_rating_sums_truncate AFTER TRUNCATE ON reviews_review
  FOR EACH STATEMENT EXECUTE FUNCTION reviews_rating_sums_truncate();

-- Fold the deltas of the given models (NULL: all) into their sums. Caller holds the models'
-- ModelRating row locks (reviews.ratings.sums), so two folds of a model never interleave.
CREATE FUNCTION reviews_rating_sums_fold(model_ids bigint[]) RETURNS void LANGUAGE sql AS $$
  WITH moved AS (
    DELETE FROM reviews_ratingsumsdelta
    WHERE model_ids IS NULL OR model_id = ANY(model_ids) RETURNING *
  )
  INSERT INTO reviews_modelratingsums ({COLUMNS})
  SELECT {", ".join(KEY)}, {", ".join(f"SUM({name})" for name in SUMS)}
  FROM moved GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT ({", ".join(KEY)}) DO UPDATE SET
  {", ".join(f"{name} = reviews_modelratingsums.{name} + EXCLUDED.{name}" for name in SUMS)}
$$;

-- Set the sums of the given models (NULL: all) to a full scan of their counted reviews and
-- drop their deltas, in ONE statement: its single snapshot sees exactly the changes whose
-- deltas it deletes (a writer still in flight keeps its delta for the next fold). Caller
-- holds the ModelRating row locks, as for a fold.
CREATE FUNCTION reviews_rating_sums_rebuild(model_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE h double precision;
BEGIN
  SELECT half_life_days INTO h FROM reviews_ratingsumsstate WHERE id = 1;
  IF h IS NULL THEN
    RAISE EXCEPTION 'rating sums are not enabled (no reviews_ratingsumsstate row)';
  END IF;
  WITH dropped AS (
    DELETE FROM reviews_ratingsumsdelta WHERE model_ids IS NULL OR model_id = ANY(model_ids)
  ), scan AS (
    {_select(_rows("reviews_review", 1) + " AND (model_ids IS NULL OR model_id = ANY(model_ids))")}
  ), keys AS (
    SELECT {", ".join(KEY)} FROM reviews_modelratingsums
    WHERE model_ids IS NULL OR model_id = ANY(model_ids)
    UNION SELECT {", ".join(KEY)} FROM scan
  )
  INSERT INTO reviews_modelratingsums ({COLUMNS})
  SELECT {", ".join(f"k.{name}" for name in KEY)}, {", ".join(f"COALESCE(scan.{name}, 0)" for name in SUMS)}
  FROM keys k LEFT JOIN scan USING ({", ".join(KEY)}) ORDER BY 1, 2, 3
  ON CONFLICT ({", ".join(KEY)}) DO UPDATE SET
  {", ".join(f"{name} = EXCLUDED.{name}" for name in SUMS)};
END $$;
"""

REVERSE_SQL = """
DROP TRIGGER reviews_rating_sums_insert ON reviews_review;
DROP TRIGGER reviews_rating_sums_update ON reviews_review;
DROP TRIGGER reviews_rating_sums_delete ON reviews_review;
DROP TRIGGER reviews_rating_sums_truncate ON reviews_review;
DROP FUNCTION reviews_rating_sums_journal();
DROP FUNCTION reviews_rating_sums_truncate();
DROP FUNCTION reviews_rating_sums_fold(bigint[]);
DROP FUNCTION reviews_rating_sums_rebuild(bigint[]);
DROP FUNCTION reviews_rating_weight(timestamptz, double precision);
"""


def _install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite (`make run`): the pipeline scans the reviews (reviews.ratings.sums)
    schema_editor.execute(FORWARD_SQL)
    half_life = getattr(settings, "RATING_HALF_LIFE_DAYS", None)
    if not half_life or half_life < 30:
        return  # not built: the rating pipeline scans; `rating_sums_rebuild()` builds it
    # Build from the reviews already there, with writers held off (SHARE: reads go on).
    schema_editor.execute("LOCK TABLE reviews_review IN SHARE MODE")
    schema_editor.execute(
        "INSERT INTO reviews_ratingsumsstate (id, half_life_days, rebuilt_at) VALUES (1, %s, %s)",
        [half_life, dt.datetime.now(dt.UTC)],
    )
    schema_editor.execute("SELECT reviews_rating_sums_rebuild(NULL)")


def _uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE_SQL)


class Migration(migrations.Migration):

    dependencies = [
        ('models_catalog', '0004_routes_tagline'),
        ('reviews', '0010_use_case_mask'),
    ]

    operations = [
        migrations.CreateModel(
            name='RatingSumsDelta',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('use_case_mask', models.PositiveSmallIntegerField()),
                ('model_version', models.CharField(max_length=160)),
                ('count', models.BigIntegerField(default=0)),
                ('total', models.BigIntegerField(default=0)),
                ('star_1', models.BigIntegerField(default=0)),
                ('star_2', models.BigIntegerField(default=0)),
                ('star_3', models.BigIntegerField(default=0)),
                ('star_4', models.BigIntegerField(default=0)),
                ('star_5', models.BigIntegerField(default=0)),
                ('usage_verified', models.BigIntegerField(default=0)),
                ('weight_sum', reviews.models.ExactSumField(decimal_places=100, default=0, max_digits=1000)),
                ('weighted_total', reviews.models.ExactSumField(decimal_places=100, default=0, max_digits=1000)),
                ('quality_sum', models.BigIntegerField(default=0)),
                ('speed_sum', models.BigIntegerField(default=0)),
                ('value_sum', models.BigIntegerField(default=0)),
                ('reliability_sum', models.BigIntegerField(default=0)),
                ('integration_sum', models.BigIntegerField(default=0)),
                ('quality_count', models.BigIntegerField(default=0)),
                ('speed_count', models.BigIntegerField(default=0)),
                ('value_count', models.BigIntegerField(default=0)),
                ('reliability_count', models.BigIntegerField(default=0)),
                ('integration_count', models.BigIntegerField(default=0)),
                ('model', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='models_catalog.aimodel')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='RatingSumsState',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('half_life_days', models.FloatField()),
                ('rebuilt_at', models.DateTimeField()),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='rating_sums_state_one_row')],
            },
        ),
        migrations.CreateModel(
            name='ModelRatingSums',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('use_case_mask', models.PositiveSmallIntegerField()),
                ('model_version', models.CharField(max_length=160)),
                ('count', models.BigIntegerField(default=0)),
                ('total', models.BigIntegerField(default=0)),
                ('star_1', models.BigIntegerField(default=0)),
                ('star_2', models.BigIntegerField(default=0)),
                ('star_3', models.BigIntegerField(default=0)),
                ('star_4', models.BigIntegerField(default=0)),
                ('star_5', models.BigIntegerField(default=0)),
                ('usage_verified', models.BigIntegerField(default=0)),
                ('weight_sum', reviews.models.ExactSumField(decimal_places=100, default=0, max_digits=1000)),
                ('weighted_total', reviews.models.ExactSumField(decimal_places=100, default=0, max_digits=1000)),
                ('quality_sum', models.BigIntegerField(default=0)),
                ('speed_sum', models.BigIntegerField(default=0)),
                ('value_sum', models.BigIntegerField(default=0)),
                ('reliability_sum', models.BigIntegerField(default=0)),
                ('integration_sum', models.BigIntegerField(default=0)),
                ('quality_count', models.BigIntegerField(default=0)),
                ('speed_count', models.BigIntegerField(default=0)),
                ('value_count', models.BigIntegerField(default=0)),
                ('reliability_count', models.BigIntegerField(default=0)),
                ('integration_count', models.BigIntegerField(default=0)),
                ('model', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='models_catalog.aimodel')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('model', 'use_case_mask', 'model_version'), name='rating_sums_unique')],
            },
        ),
        migrations.RunPython(_install, _uninstall),
    ]
