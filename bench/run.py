"""The whole run, step by step: data, read path, recompute, freshness, burst, memory.

Every step prints progress lines; any error stops the run with a non-zero exit (the smoke in
CI relies on that), and the results are written only when every step has finished.
"""

import datetime as dt
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from bench import database, mixed, pipeline, read, recompute, report, servers, targets, wrk
from bench.dataset import DatasetSpec, Texts
from bench.machine import machine_info
from bench.progress import say

HOTEL_CSV = "tripadvisor-hotel-reviews-first2000.csv"


@dataclass(frozen=True)
class RunConfig:
    reviews: int
    mode: str  # "full" or "smoke"
    out_dir: Path
    duration_s: float = 10.0
    warmup_s: float = 3.0
    connections: int = 4
    gunicorn_workers: int = 2
    worker_class: str = "sync"
    celery_concurrency: int = 2
    verifications: int = 200
    burst_changes: int = 1000
    repeats: int = 3
    mixed_duration_s: float = 10.0
    mixed_warmup_s: float = 2.0
    seed: int = 20261129

    @property
    def scratch(self) -> Path:
        """Logs and scripts of the run (git-ignored), apart from the results."""
        return Path(__file__).resolve().parent / "results" / "tmp" / f"{self.mode}-work"


def texts_csv() -> Path | None:
    """The hotel-review CSV beside the project (../shared/data), read in place, if present."""
    configured = os.environ.get("BENCH_TEXTS_CSV")
    path = (
        Path(configured) if configured else settings.BASE_DIR.parent / "shared" / "data" / HOTEL_CSV
    )
    return path if path.is_file() else None


def _scalar(sql: str, params: tuple = ()) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _counts(model_id: int) -> dict[str, int]:
    total, counted = _scalar(
        "SELECT count(*), count(*) FILTER (WHERE status = 'published' "
        "AND NOT conflict_of_interest) FROM reviews_review WHERE model_id = %s",
        (model_id,),
    )
    return {"reviews": total, "counted": counted}


def dataset_summary(refs: list, the_plan: Any, texts: Texts) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, count(*) FROM reviews_review GROUP BY status ORDER BY 1")
        statuses = dict(cursor.fetchall())
        cursor.execute(
            "SELECT count(*) FILTER (WHERE conflict_of_interest), "
            "count(*) FILTER (WHERE usage_verified), count(*) FROM reviews_review"
        )
        conflicts, verified, total = cursor.fetchone()
        cursor.execute(
            "SELECT model_id FROM reviews_review GROUP BY model_id ORDER BY count(*) DESC, "
            "model_id LIMIT 1"
        )
        top_id = cursor.fetchone()[0]
    slugs = {ref.id: ref.slug for ref in refs}
    ladder = [
        {"model_id": refs[i].id, "slug": refs[i].slug, **_counts(refs[i].id)}
        for i in the_plan.ladder
    ]
    return {
        "reviews": total,
        "users": the_plan.users,
        "models": len(refs),
        "models_with_reviews": sum(1 for c in the_plan.counts if c),
        "status": statuses,
        "conflict_of_interest": conflicts,
        "usage_verified": verified,
        "texts": texts.source,
        "most_reviewed": {"model_id": top_id, "slug": slugs[top_id], **_counts(top_id)},
        "ladder": ladder,
    }


def fresh_catalog() -> tuple[Any, Texts]:
    """An empty bench database (and its Redis dbs) with the schema and the shipped catalog;
    the catalog's references and the review texts the loaders draw from."""
    database.database_reset()
    database.redis_flush()
    started = time.perf_counter()
    models = database.schema_and_catalog()
    say(f"  schema and catalog: {models} models in {time.perf_counter() - started:.1f} s")
    return database.catalog_refs(), Texts.load(texts_csv())


def step_data(cfg: RunConfig) -> dict[str, Any]:
    say(f"1/7 data: reset database {settings.DATABASES['default']['NAME']}, migrate, catalog")
    refs, texts = fresh_catalog()
    spec = DatasetSpec(reviews=cfg.reviews, seed=cfg.seed)
    say(f"  generating and loading {cfg.reviews:,} reviews by COPY (texts: {texts.source})")
    # Indexes kept during the COPY: with the trigram index on bodies, the bulk path (indexes
    # built after) was not faster at 1M (see database.load_reviews).
    the_plan, timings = database.load_reviews(spec, refs, texts, bulk=False)
    timings["initial_recompute_ratings_s"] = recompute.timed(recompute.recompute_all)
    summary = dataset_summary(refs, the_plan, texts)
    say(
        f"  loaded {summary['reviews']:,} reviews and {summary['users']:,} users "
        f"(COPY {timings['copy_reviews_s']:.1f} s, ANALYZE {timings['analyze_s']:.1f} s, "
        f"first recompute_ratings {timings['initial_recompute_ratings_s']:.2f} s); most "
        f"reviewed: {summary['most_reviewed']['slug']} ({summary['most_reviewed']['reviews']:,})"
    )
    # Every index is kept here: nothing rebuilt.
    skip = ("rebuild_users_s", "rebuild_reviews_s")
    load = {k: round(v, 3) for k, v in timings.items() if k not in skip}
    return {"scale": summary, "load": load}


def run(cfg: RunConfig) -> dict[str, Any]:
    started_at = dt.datetime.now(dt.UTC)
    wrk.ensure_wrk()
    cfg.scratch.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "meta": {
            "mode": cfg.mode,
            "started_at": started_at.isoformat(timespec="seconds"),
            "command": "python -m bench " + " ".join(sys.argv[1:]),
            "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
        }
    }
    results.update(step_data(cfg))
    results["machine"] = machine_info()
    env = servers.bench_env({})
    web = worker = None
    try:
        web, port = servers.start_gunicorn(
            env, cfg.scratch, workers=cfg.gunicorn_workers, worker_class=cfg.worker_class
        )
        top = results["scale"]["most_reviewed"]
        read.api_key_setup()
        say(f"2/7 read path: wrk {cfg.duration_s:g} s per endpoint, {cfg.connections} connections")
        results["read"] = read.read_path(
            port,
            top["slug"],
            duration_s=cfg.duration_s,
            warmup_s=cfg.warmup_s,
            connections=cfg.connections,
            scratch=cfg.scratch,
        )
        results["read"]["server"] = {
            "workers": cfg.gunicorn_workers,
            "worker_class": cfg.worker_class,
        }
        results["read"]["profile"] = read.profile_endpoints(
            top["slug"], results["read"]["endpoints"]["rating"]["body_bytes"]
        )
        say("3/7 recompute: recompute_ratings vs bare GROUP BY; one model as it grows")
        results["recompute"] = recompute.recompute_step(results["scale"]["ladder"], cfg.repeats)
        worker = servers.start_celery(env, cfg.scratch, concurrency=cfg.celery_concurrency)
        say(f"4/7 freshness: {cfg.verifications} verifications, commit -> visible in the API")
        results["freshness"] = pipeline.freshness(port, cfg.verifications, cfg.seed)
        say(f"5/7 burst: {cfg.burst_changes} changes to {top['slug']}")
        results["burst"] = pipeline.burst(top["model_id"], top["slug"], cfg.burst_changes)
        say("6/7 memory: peak RSS (VmHWM) of the gunicorn and Celery processes")
        results["memory"] = {"gunicorn": web.memory(), "celery": worker.memory()}
        say(f"7/7 mixed load: {', '.join(map(str, mixed.STEPS))} connections, "
            f"{cfg.mixed_duration_s:g} s each")  # fmt: skip
        results["mixed"] = mixed.mixed_load(
            port,
            duration_s=cfg.mixed_duration_s,
            warmup_s=cfg.mixed_warmup_s,
            scratch=cfg.scratch,
            floor_rps=results["read"]["floor_rps_for_ratios"],
        )
        results["mixed"]["profile"] = mixed.profile_kinds()
    finally:
        for process in (worker, web):
            if process is not None:
                process.stop()
    finished_at = dt.datetime.now(dt.UTC)
    results["meta"]["finished_at"] = finished_at.isoformat(timespec="seconds")
    results["meta"]["duration_s"] = round((finished_at - started_at).total_seconds(), 1)
    results["targets"] = targets.targets(results)
    report.write(results, cfg.out_dir)
    say(f"results: {cfg.out_dir / 'latest.json'}, latest.md, latest.png")
    print(report.summary_text(results), flush=True)
    return results
