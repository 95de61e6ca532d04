"""`python -m bench scale --reviews 1000000,10000000`: how the costs grow with the data.

For each size, in its own freshly loaded database (the same loader and data shape as
`python -m bench run`, with the top rung of the ladder sized so that one model has about
1,000,000 counted reviews at the largest size):

- the full recompute (`recompute_ratings`, every model) against the bare `GROUP BY` that
  reads the same aggregates from the same rows (the floor), and their ratio;
- one model's recompute (`reviews.ratings.rating_recompute`, whatever path it takes) on the
  ladder's models, the top one at about 1M counted reviews at the largest size;
- the warm reads of the rating and the model detail beside the floor view, interleaved with
  it as in the read step of `bench run` (bench/read.py), with the floor's drift.

Then a growth table from the smallest size to the largest: each figure and its ratio.
Results after every size (so a run stopped later keeps what it measured) in
bench/results/scale.json and scale.md.
"""

import datetime as dt
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from bench import database, read, recompute, servers, wrk
from bench.dataset import CONFLICT_SHARE, LADDER_FRACTIONS, STATUS_MIX, DatasetSpec
from bench.machine import machine_info
from bench.progress import say
from bench.run import fresh_catalog
from bench.targets import fmt

# The counted share of the generated reviews: published, without a conflict of interest.
COUNTED_SHARE = STATUS_MIX["published"] * (1 - CONFLICT_SHARE)
BIG_MODEL_COUNTED = 1_000_000
MAX_TOP_RUNG = 0.2
READ_ORDER = ("rating", "detail")


@dataclass(frozen=True)
class ScaleConfig:
    sizes: tuple[int, ...]
    out_dir: Path
    duration_s: float = 5.0
    warmup_s: float = 2.0
    connections: int = 4
    gunicorn_workers: int = 2
    repeats: int = 3
    seed: int = 20261129
    big_model_counted: int = BIG_MODEL_COUNTED

    @property
    def scratch(self) -> Path:
        return Path(__file__).resolve().parent / "results" / "tmp" / "scale-work"


def ladder_fractions(largest: int, big_model_counted: int = BIG_MODEL_COUNTED) -> tuple:
    """The ladder of `bench run` (0.1 %, 1 %, 10 %), its top rung resized so that, at the
    largest size, that model has about `big_model_counted` counted reviews (12.9 % of 10M);
    the same fractions at every size, so each model grows with the data."""
    top = min(big_model_counted / (largest * COUNTED_SHARE), MAX_TOP_RUNG)
    return (*LADDER_FRACTIONS[:-1], round(top, 6))


def _ladder_counts(refs: list, the_plan: Any) -> list[dict[str, Any]]:
    from reviews.models import Review
    from reviews.ratings.summary import counted_reviews

    out = []
    for index in the_plan.ladder:
        ref = refs[index]
        out.append(
            {
                "model_id": ref.id,
                "slug": ref.slug,
                "reviews": Review.objects.filter(model_id=ref.id).count(),
                "counted": counted_reviews().filter(model_id=ref.id).count(),
            }
        )
    return out


def _table_sizes() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_total_relation_size('reviews_review'), pg_relation_size('reviews_review'),"
            " pg_database_size(current_database())"
        )
        total, heap, db = cursor.fetchone()
    gib = 1024**3
    return {
        "reviews_table_gib": round(total / gib, 2),
        "reviews_heap_gib": round(heap / gib, 2),
        "database_gib": round(db / gib, 2),
    }


def _load(cfg: ScaleConfig, size: int) -> dict[str, Any]:
    refs, texts = fresh_catalog()
    if texts.source == "generated":
        say(
            "  texts: the hotel-review CSV is absent (BENCH_TEXTS_CSV or ../shared/data), "
            "generated sentences instead: rows are shorter than with the CSV"
        )
    spec = DatasetSpec(
        reviews=size,
        seed=cfg.seed,
        ladder_fractions=ladder_fractions(max(cfg.sizes), cfg.big_model_counted),
    )
    say(f"  loading {size:,} reviews by COPY (texts: {texts.source})")
    the_plan, timings = database.load_reviews(spec, refs, texts)
    timings["initial_recompute_ratings_s"] = recompute.timed(recompute.recompute_all)
    say(f"  first recompute_ratings after the load: {timings['initial_recompute_ratings_s']:.2f} s")
    return {
        "reviews": size,
        "users": the_plan.users,
        "models": len(refs),
        "texts": texts.source,
        "ladder_fractions": list(spec.ladder_fractions),
        "ladder": _ladder_counts(refs, the_plan),
        "load": {k: round(v, 3) if isinstance(v, float) else v for k, v in timings.items()},
        "disk": _table_sizes(),
    }


def load_only(size: int) -> dict[str, Any]:
    """The data step of `bench run` alone (its dataset, its ladder): reset, migrate, catalog,
    COPY, indexes, ANALYZE; prints the loader's timings and the database's size."""
    say(f"load {size:,}: reset {settings.DATABASES['default']['NAME']}, migrate, catalog")
    refs, texts = fresh_catalog()
    say(f"  loading {size:,} reviews by COPY (texts: {texts.source})")
    _, timings = database.load_reviews(DatasetSpec(reviews=size), refs, texts)
    disk = _table_sizes()
    say(f"  done: {json.dumps({**timings, **disk}, default=str)}")
    return {**timings, **disk}


def _recompute(ladder: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    floor_sql = recompute.group_by_sql()
    # Warm both first, as bench run does: each then reads from the same buffer cache.
    recompute._run_sql(floor_sql)
    all_s, all_runs = recompute._median(recompute.recompute_all, repeats)
    floor_s, floor_runs = recompute._median(lambda: recompute._run_sql(floor_sql), repeats)
    say(
        f"  recompute_ratings {all_s:.3f} s vs bare GROUP BY {floor_s:.3f} s "
        f"(ratio {all_s / floor_s:.2f})"
    )
    return {
        "recompute_ratings_s": round(all_s, 4),
        "recompute_ratings_runs_s": [round(r, 4) for r in all_runs],
        "group_by_s": round(floor_s, 4),
        "group_by_runs_s": [round(r, 4) for r in floor_runs],
        "ratio": round(all_s / floor_s, 3) if floor_s else None,
        "ladder": recompute.ladder_timings(ladder, repeats),
    }


def _read(cfg: ScaleConfig, slug: str) -> dict[str, Any]:
    env = servers.bench_env({})
    web, port = servers.start_gunicorn(
        env, cfg.scratch, workers=cfg.gunicorn_workers, worker_class="sync"
    )
    try:
        read.api_key_setup()
        result = read.read_path(
            port,
            slug,
            duration_s=cfg.duration_s,
            warmup_s=cfg.warmup_s,
            connections=cfg.connections,
            scratch=cfg.scratch,
            order=READ_ORDER,
        )
    finally:
        web.stop()
    keep = ("floor_rps_for_ratios", "model", "floor_drift_max", "max_floor_drift_allowed")
    return {
        **{k: result[k] for k in keep},
        "reliable": result["reliable"],
        "ratios": result["ratios"],
        "endpoints": {
            name: {k: e.get(k) for k in ("rps", "p50_ms", "p99_ms", "over_floor", "floor_drift")}
            for name, e in result["endpoints"].items()
        },
    }


def one_size(cfg: ScaleConfig, size: int) -> dict[str, Any]:
    started = time.perf_counter()
    load_before = list(os.getloadavg())
    say(f"size {size:,}: reset {settings.DATABASES['default']['NAME']}, migrate, catalog, load")
    out = _load(cfg, size)
    say(f"size {size:,}: recompute, all models vs GROUP BY; one model on the ladder")
    out["recompute"] = _recompute(out["ladder"], cfg.repeats)
    big = out["ladder"][-1]
    say(f"size {size:,}: warm reads of {big['slug']} beside the floor, {cfg.duration_s:g} s each")
    out["read"] = _read(cfg, big["slug"])
    out["load_average"] = {"before": load_before, "after": list(os.getloadavg())}
    out["duration_s"] = round(time.perf_counter() - started, 1)
    return out


def _figures(result: dict[str, Any]) -> dict[str, Any]:
    """The figures the growth table compares, by name."""
    rec, rd = result["recompute"], result["read"]
    big = rec["ladder"][-1]
    return {
        "load_reviews_per_s": result["load"]["reviews_per_s"],
        "recompute_ratings_s": rec["recompute_ratings_s"],
        "group_by_s": rec["group_by_s"],
        "recompute_over_group_by": rec["ratio"],
        "big_model_counted": big["counted"],
        "big_model_recompute_ms": round(big["seconds"] * 1000, 2),
        "rating_over_floor": rd["ratios"].get("rating_over_floor"),
        "detail_over_floor": rd["ratios"].get("detail_over_floor"),
        "floor_rps": rd["floor_rps_for_ratios"],
        "floor_drift_max": rd["floor_drift_max"],
    }


LABELS = {
    "load_reviews_per_s": "load (reviews/s, whole loader)",
    "recompute_ratings_s": "full recompute, all models (s)",
    "group_by_s": "bare GROUP BY, same rows (s)",
    "recompute_over_group_by": "full recompute / GROUP BY",
    "big_model_counted": "largest ladder model: counted reviews",
    "big_model_recompute_ms": "that model's recompute (ms, median)",
    "rating_over_floor": "rating (warm) / floor",
    "detail_over_floor": "model detail (warm) / floor",
    "floor_rps": "floor (req/s)",
    "floor_drift_max": "largest floor drift",
}


def growth(sizes: list[dict[str, Any]]) -> dict[str, Any] | None:
    if len(sizes) < 2:
        return None
    small, large = sizes[0], sizes[-1]
    a, b = _figures(small), _figures(large)
    rows = {
        name: {
            "small": a[name],
            "large": b[name],
            "ratio": round(b[name] / a[name], 3) if a[name] and b[name] is not None else None,
        }
        for name in LABELS
    }
    return {"from": small["reviews"], "to": large["reviews"], "rows": rows}


def _short(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def growth_markdown(table: dict[str, Any]) -> list[str]:
    a, b = _short(table["from"]), _short(table["to"])
    lines = [f"| figure | {a} | {b} | {b}/{a} |", "|---|---|---|---|"]
    for name, row in table["rows"].items():
        lines.append(
            f"| {LABELS[name]} | {fmt(row['small'])} | {fmt(row['large'])} | {fmt(row['ratio'])} |"
        )
    return lines


def _reliability(size: dict[str, Any]) -> str:
    rd = size["read"]
    drift = rd["floor_drift_max"]
    if rd["reliable"]:
        return f"largest floor drift {drift:.1%}: reliable"
    return f"**unreliable**: the floor drifted by up to {drift:.1%} (over 10 %)"


def markdown(results: dict[str, Any]) -> str:
    meta, machine = results["meta"], results["machine"]
    sizes = ", ".join(f"{size['reviews']:,}" for size in results["sizes"])
    lines = [
        f"# Scale benchmark: {sizes} reviews",
        "",
        f"`{meta['command']}`, {meta['started_at']} to {meta.get('finished_at', '(unfinished)')}."
        f" {machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB, PostgreSQL "
        f"{machine['postgresql']}. The machine is shared (other work ran beside this one; load "
        "averages below): absolute figures drift, the ratios against a floor measured in the "
        "same minute are what to read.",
        "",
    ]
    table = results.get("growth")
    if table:
        lines += ["## Growth", "", *growth_markdown(table), ""]
    for size in results["sizes"]:
        rec, rd, load = size["recompute"], size["read"], size["load"]
        lines += [
            f"## {size['reviews']:,} reviews",
            "",
            f"{size['users']:,} users, {size['models']} models, texts: {size['texts']}; reviews "
            f"table {size['disk']['reviews_table_gib']} GiB with indexes, database "
            f"{size['disk']['database_gib']} GiB. Load averages (1/5/15 min) before "
            f"{', '.join(f'{x:.2f}' for x in size['load_average']['before'])}, after "
            f"{', '.join(f'{x:.2f}' for x in size['load_average']['after'])}.",
            "",
            "| what | value |",
            "|---|---|",
            f"| load, whole (s) | {fmt(load['load_s'])} ({fmt(load['reviews_per_s'])} reviews/s) |",
            f"| COPY reviews (s) | {fmt(load['copy_reviews_s'])} |",
            f"| indexes and constraints after the COPY (s) | "
            f"{fmt(load['rebuild_reviews_s'] + load['rebuild_users_s'])} |",
            f"| ANALYZE (s) | {fmt(load['analyze_s'])} |",
            f"| first `recompute_ratings` after the load (s) | "
            f"{fmt(load['initial_recompute_ratings_s'])} |",
            f"| `recompute_ratings`, median (s) | {fmt(rec['recompute_ratings_s'])} |",
            f"| bare `GROUP BY model_id`, median (s) | {fmt(rec['group_by_s'])} |",
            f"| ratio | {fmt(rec['ratio'])} |",
            "",
            "| one model's recompute | reviews | counted | ms (median) |",
            "|---|---|---|---|",
            *(
                f"| {r['slug']} | {r['reviews']:,} | {r['counted']:,} | {r['seconds'] * 1000:.1f} |"
                for r in rec["ladder"]
            ),
            "",
            "| warm read | req/s | p50 ms | p99 ms | / floor | floor drift |",
            "|---|---|---|---|---|---|",
            f"| floor | {fmt(rd['floor_rps_for_ratios'])} | | | 1 | |",
            *(
                f"| {name} | {fmt(e['rps'])} | {fmt(e['p50_ms'])} | {fmt(e['p99_ms'])} | "
                f"{fmt(e['over_floor'])} | {fmt(e['floor_drift'])} |"
                for name, e in rd["endpoints"].items()
                if name != "floor"
            ),
            "",
            f"Read step: {_reliability(size)}.",
            "",
        ]
    return "\n".join(lines) + "\n"


def _write(results: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    results["growth"] = growth(results["sizes"])
    (out_dir / "scale.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (out_dir / "scale.md").write_text(markdown(results))


def run_scale(cfg: ScaleConfig) -> dict[str, Any]:
    started_at = dt.datetime.now(dt.UTC)
    wrk.ensure_wrk()
    cfg.scratch.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "meta": {
            "mode": "scale",
            "started_at": started_at.isoformat(timespec="seconds"),
            "command": "python -m bench " + " ".join(sys.argv[1:]),
            "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
        },
        "sizes": [],
    }
    for size in cfg.sizes:
        results["sizes"].append(one_size(cfg, size))
        results.setdefault("machine", machine_info())  # needs the bench database
        results["meta"]["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        _write(results, cfg.out_dir)
        say(f"size {size:,} done: {cfg.out_dir / 'scale.json'}, scale.md")
    if results.get("growth"):
        print("\n".join(["", *growth_markdown(results["growth"])]), flush=True)
    return results
