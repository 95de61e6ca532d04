"""`make attack-sim` (`python -m bench.attack_sim`): campaigns against a rating (issue 13).

Builds three identical models with 200 genuine reviews each (mean about 4.3, written over
two years by accounts one to four years old), then attacks one model per scenario through
the HTTP API (Django's test client, the full middleware and DRF stack in process) with a
real Celery worker recomputing ratings:

  (a) 10 fresh accounts each report the model's 20 best reviews;
  (b) 100 fresh accounts post 1-star reviews, each verified by a moderator who approves
      everything;
  (c) 30 fresh accounts post near-copies of one text.

It prints, before any moderator looks at a surge: reviews removed from the rating in (a),
the shift of `bayesian_average` and `lower_bound` in (b) and when the notice showed, the
share of (c) flagged, and the share of 1,000 genuine reviews flagged (false positives).

Own database `aimodels_attack` (ATTACK_DATABASE_URL, dropped and created), own Redis
databases (ATTACK_CACHE_URL, default db 10; ATTACK_BROKER_URL, default db 11; both flushed).
"""

import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ATTACK_DB = os.environ.get(
    "ATTACK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aimodels_attack"
)
ATTACK_CACHE = os.environ.get("ATTACK_CACHE_URL", "rediscache://127.0.0.1:6379/10")
ATTACK_BROKER = os.environ.get("ATTACK_BROKER_URL", "redis://127.0.0.1:6379/11")
SCRATCH = Path(__file__).resolve().parent / "results" / "tmp" / "attack-sim"
GENUINE = 200
STAR_WEIGHTS = (0.03, 0.04, 0.08, 0.28, 0.57)  # mean 4.32
NEAR_COPY = (
    "Honestly the worst model I have paid for this year. It ignored half of my instructions, "
    "invented APIs that do not exist and the answers got slower every week. Support never "
    "replied. Save your money and pick anything else."
)


def _configure() -> None:
    os.environ.update(
        BENCH_DATABASE_URL=ATTACK_DB, BENCH_CACHE_URL=ATTACK_CACHE,
        BENCH_BROKER_URL=ATTACK_BROKER, DJANGO_SETTINGS_MODULE="config.settings.bench",
    )  # fmt: skip
    import django

    django.setup()


def _reset_stores() -> None:
    import psycopg
    import redis
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    if not db["NAME"].startswith("aimodels_attack"):
        sys.exit(f"refusing to reset database {db['NAME']!r}: not an aimodels_attack* one")
    connection.close()
    params = {"dbname": "postgres", "user": db.get("USER"), "host": db.get("HOST"),
              "port": db.get("PORT"), "password": db.get("PASSWORD")}  # fmt: skip
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as admin:
        name = psycopg.sql.Identifier(db["NAME"])
        admin.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(name))
    for url in (settings.CACHES["default"]["LOCATION"], settings.CELERY_BROKER_URL):
        client = redis.Redis.from_url(url)
        client.flushdb()  # the simulation's own databases only (see the module docstring)
        client.close()


# --- The world ---------------------------------------------------------------------------


def _users(prefix: str, count: int, *, joined: list[dt.datetime]) -> list[Any]:
    from allauth.account.models import EmailAddress

    from accounts.models import User

    users = User.objects.bulk_create(
        User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.org", date_joined=joined[i])
        for i in range(count)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
    )
    return users


def _fresh(prefix: str, count: int) -> list[Any]:
    now = dt.datetime.now(dt.UTC)
    return _users(prefix, count, joined=[now] * count)


def _old(prefix: str, count: int, rng: random.Random) -> list[Any]:
    now = dt.datetime.now(dt.UTC)
    joined = [now - dt.timedelta(days=rng.uniform(400, 1500)) for _ in range(count)]
    return _users(prefix, count, joined=joined)


def _genuine_reviews(model: Any, authors: list[Any], texts: list[str], rng: random.Random) -> None:
    from django.db import connection

    from reviews.models import Review

    now = dt.datetime.now(dt.UTC)
    rows = []
    for author, text in zip(authors, texts, strict=True):
        rows.append(
            Review(
                author=author, model=model, model_version=model.slug, status="published",
                rating=rng.choices(range(1, 6), weights=STAR_WEIGHTS)[0],
                title=text[:60], body=text,
                published_at=now - dt.timedelta(days=rng.uniform(2, 730)),
            )
        )  # fmt: skip
    Review.objects.bulk_create(rows)
    with connection.cursor() as cursor:  # written when published, not now
        cursor.execute(
            "UPDATE reviews_review SET created_at = published_at WHERE model_id = %s", [model.pk]
        )


def build_world(rng: random.Random) -> dict[str, Any]:
    from django.core.management import call_command

    from bench.attack_texts import genuine_texts
    from models_catalog.models import AIModel, Provider
    from reviews.ratings import ratings_rebuild

    call_command("migrate", verbosity=0, interactive=False)
    provider = Provider.objects.create(slug="acme", name="Acme")
    models = {
        name: AIModel.objects.create(provider=provider, slug=f"acme/{name}", name=name)
        for name in ("target-a", "target-b", "target-c", *(f"genuine-{i}" for i in range(10)))
    }
    texts, source = genuine_texts(GENUINE + 1000)
    authors = _old("genuine", GENUINE, rng)
    for name in ("target-a", "target-b", "target-c"):
        _genuine_reviews(models[name], authors, texts[:GENUINE], rng)
    ratings_rebuild()
    return {"models": models, "fp_texts": texts[GENUINE:], "text_source": source}


# --- The HTTP side -----------------------------------------------------------------------


def _client(user: Any) -> Any:
    from django.conf import settings
    from django.test import Client
    from rest_framework.test import APIClient

    browser = Client(SERVER_NAME="127.0.0.1")
    browser.force_login(user)
    client = APIClient(SERVER_NAME="127.0.0.1")
    client.credentials(HTTP_X_SESSION_TOKEN=browser.cookies[settings.SESSION_COOKIE_NAME].value)
    return client


def _post(client: Any, url: str, body: dict[str, Any], expect: int) -> dict[str, Any]:
    response = client.post(url, body, format="json")
    if response.status_code != expect:
        sys.exit(f"POST {url}: {response.status_code} {response.content[:300]!r}")
    return response.json()


def _rating(model: Any) -> dict[str, Any]:
    from rest_framework.test import APIClient

    return APIClient(SERVER_NAME="127.0.0.1").get(f"/api/v1/models/{model.slug}/rating/").json()


def _settle(model: Any, timeout: float = 90) -> dict[str, Any]:
    """Wait for the worker to store the model's rating (no stale mark), then read the API."""
    from reviews.models import ModelRatingState

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = ModelRatingState.objects.filter(model=model).first()
        if state is None or not state.stale:
            time.sleep(0.3)  # the cache refresh runs right after the store commits
            return _rating(model)
        time.sleep(0.3)
    sys.exit(f"the rating of {model.slug} was still stale after {timeout:.0f}s: is the worker up?")


def _scanned(reviews: Any, timeout: float = 120) -> None:
    """Wait for the worker to run the integrity scan of `reviews` (a queryset): it runs after
    each review's commit, not in its request (reviews.integrity.scan)."""
    deadline = time.monotonic() + timeout
    while reviews.filter(integrity_scan_due_at__isnull=False).exists():
        if time.monotonic() > deadline:
            sys.exit(f"reviews still unscanned after {timeout:.0f}s: is the worker up?")
        time.sleep(0.3)


def _moderator() -> Any:
    from accounts.services import moderator_grant

    [user] = _old("moderator", 1, random.Random(1))
    moderator_grant(user=user)
    return _client(user)


# --- The scenarios -----------------------------------------------------------------------


def scenario_a(model: Any) -> dict[str, Any]:
    from reviews.models import Review

    before = _settle(model)["review_count"]
    best = list(
        Review.objects.filter(model=model, status="published")
        .order_by("-rating", "-published_at")
        .values_list("public_id", flat=True)[:20]
    )
    reasons = ("abusive", "personal_data", "spam")
    for i, reporter in enumerate(_fresh("reporter", 10)):
        client = _client(reporter)
        for j, review_id in enumerate(best):
            body = {"reason": reasons[(i + j) % 3], "note": "Remove this."}
            _post(client, f"/api/v1/reviews/{review_id}/reports/", body, 201)
    after = _settle(model)
    hidden = Review.objects.filter(model=model, status="hidden").count()
    removed = before - after["review_count"]
    return {"before": before, "removed": removed, "hidden_pending_moderator": hidden,
            "notice": after["unusual_activity"]}  # fmt: skip


def scenario_b(model: Any, moderator: Any, rng: random.Random) -> dict[str, Any]:
    from bench.attack_texts import genuine_texts

    before = _settle(model)
    texts, _ = genuine_texts(100, seed=99)
    started, notice_at = time.monotonic(), None
    for author, text in zip(_fresh("onestar", 100), texts, strict=True):
        url = f"/api/v1/models/{model.slug}/reviews/"
        review = _post(_client(author), url, {"stars": 1, "title": "Awful", "body": text}, 201)
        _post(moderator, f"/api/v1/moderation/reviews/{review['id']}/verify/", {}, 200)
        if notice_at is None and _rating(model)["unusual_activity"] is not None:
            notice_at = time.monotonic() - started
    after = _settle(model)
    if notice_at is None and after["unusual_activity"] is not None:
        notice_at = time.monotonic() - started
    return {
        "duration_s": round(time.monotonic() - started, 1),
        "before": {k: before[k] for k in ("review_count", "bayesian_average", "lower_bound")},
        "after": {k: after[k] for k in ("review_count", "bayesian_average", "lower_bound")},
        "shift": {k: round(after[k] - before[k], 4) for k in ("bayesian_average", "lower_bound")},
        "notice": after["unusual_activity"],
        "notice_after_s": None if notice_at is None else round(notice_at, 1),
    }


def _near_copy(rng: random.Random) -> str:
    words = NEAR_COPY.split()
    for _ in range(3):  # a few small edits each, as a ring does to dodge exact matching
        i = rng.randrange(len(words))
        words[i] = rng.choice([words[i].upper(), words[i] + ",", words[i] + "!", "really"])
    return " ".join(words) + rng.choice(["", " Avoid.", " Seriously.", " 1/5."])


def scenario_c(model: Any, rng: random.Random) -> dict[str, Any]:
    from reviews.models import IntegrityFlag, Review

    ids = []
    for author in _fresh("copier", 30):
        body = {"stars": 1, "title": "Do not buy", "body": _near_copy(rng)}
        ids.append(_post(_client(author), f"/api/v1/models/{model.slug}/reviews/", body, 201)["id"])
    _scanned(Review.objects.filter(public_id__in=ids))
    flags = IntegrityFlag.objects.filter(review__public_id__in=ids)
    near = set(flags.filter(kind="near_duplicate").values_list("review__public_id", flat=True))
    flagged = set(flags.values_list("review__public_id", flat=True))
    return {"posted": len(ids), "near_duplicate": len(near), "any_flag": len(flagged)}


def false_positives(models: dict[str, Any], texts: list[str], rng: random.Random) -> dict:
    """1,000 genuine texts by 1,000 independent accounts over ten models, written through the
    same service the API calls (scanning is the same; HTTP adds nothing to measure here)."""
    from reviews.models import IntegrityFlag, Review
    from reviews.services import ReviewDraft, review_create

    authors = _old("independent", len(texts), rng)
    ids = []
    for i, (author, text) in enumerate(zip(authors, texts, strict=True)):
        draft = ReviewDraft(rating=rng.choices(range(1, 6), weights=STAR_WEIGHTS)[0],
                            title=text[:60], body=text)  # fmt: skip
        ids.append(review_create(author=author, model=models[f"genuine-{i % 10}"], draft=draft).pk)
    _scanned(Review.objects.filter(pk__in=ids))
    flags = IntegrityFlag.objects.filter(review_id__in=ids)
    near = flags.filter(kind="near_duplicate").values("review_id").distinct().count()
    return {"texts": len(ids), "near_duplicate": near,
            "any_flag": flags.values("review_id").distinct().count()}  # fmt: skip


# --- Run ---------------------------------------------------------------------------------


def _report(world: dict, a: dict, b: dict, c: dict, fp: dict) -> None:
    def mark(ok: bool) -> str:
        return "met" if ok else "MISSED"

    shift = max(abs(b["shift"]["bayesian_average"]), abs(b["shift"]["lower_bound"]))
    notice_ok = b["notice"] is not None and (b["notice_after_s"] or 1e9) <= 60
    print(f"\nAttack simulation (issue 13); genuine texts: {world['text_source']}")
    print(f"(a) 10 fresh accounts x 20 reports of the best reviews: {a['removed']} of "
          f"{a['before']} reviews left the rating (target 0: {mark(a['removed'] == 0)}); "
          f"{a['hidden_pending_moderator']} hidden awaiting a moderator, still counted; "
          f"notice {a['notice']}")  # fmt: skip
    print(f"(b) 100 one-star reviews, all verified, in {b['duration_s']} s: bayesian_average "
          f"{b['before']['bayesian_average']:.4f} -> {b['after']['bayesian_average']:.4f} "
          f"({b['shift']['bayesian_average']:+.4f}), lower_bound "
          f"{b['before']['lower_bound']:.4f} -> {b['after']['lower_bound']:.4f} "
          f"({b['shift']['lower_bound']:+.4f}) (target < 0.1: {mark(shift < 0.1)}); notice "
          f"{b['notice']} shown {b['notice_after_s']} s after the first review "
          f"(target within 60 s: {mark(notice_ok)})")  # fmt: skip
    share_c = c["near_duplicate"] / c["posted"]
    print(f"(c) 30 near-copies: {c['near_duplicate']}/{c['posted']} flagged as near-duplicates "
          f"({share_c:.0%}, target >= 90%: {mark(share_c >= 0.9)}); {c['any_flag']} with any "
          "flag (near-duplicate or ring)")  # fmt: skip
    share_fp = fp["near_duplicate"] / fp["texts"]
    print(f"false positives: {fp['near_duplicate']}/{fp['texts']} genuine reviews flagged as "
          f"near-duplicates ({share_fp:.1%}, target < 2%: {mark(share_fp < 0.02)}); "
          f"{fp['any_flag']} with any flag")  # fmt: skip


def main() -> None:
    _configure()
    from bench.servers import bench_env, start_celery

    _reset_stores()
    rng = random.Random(20261202)
    world = build_world(rng)
    worker = start_celery(bench_env({}), SCRATCH, concurrency=1)
    try:
        models = world["models"]
        a = scenario_a(models["target-a"])
        b = scenario_b(models["target-b"], _moderator(), rng)
        c = scenario_c(models["target-c"], rng)
        fp = false_positives(models, world["fp_texts"], rng)
    finally:
        worker.stop()
    _report(world, a, b, c, fp)


if __name__ == "__main__":
    main()
