"""`python -m bench run [--reviews N] [--smoke]`: see README.md, "Benchmarks".

Always on config.settings.bench, against the bench's own database (`aimodels_bench`, or
`aimodels_bench_smoke` for --smoke; `BENCH_DATABASE_URL` overrides) and Redis dbs 12 and 13.
"""

import argparse
import os
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
PG = "postgres://postgres@127.0.0.1:5432"
# What --smoke changes: a tiny scale, short measurements, its own database and results folder.
SMOKE = {
    "reviews": 20_000,
    "duration_s": 2.0,
    "warmup_s": 1.0,
    "verifications": 10,
    "burst_changes": 100,
    "repeats": 2,
    "mixed_duration_s": 2.0,
    "mixed_warmup_s": 1.0,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="load the data and run every step")
    run.add_argument("--smoke", action="store_true", help="tiny, fast run of the same code (CI)")
    run.add_argument("--reviews", type=int, help="synthetic reviews (default 1,000,000)")
    run.add_argument("--duration", type=float, help="seconds of wrk per endpoint (10)")
    run.add_argument("--warmup", type=float, help="seconds of wrk warm-up per endpoint (3)")
    run.add_argument("--connections", type=int, help="wrk connections (4)")
    run.add_argument("--workers", type=int, help="gunicorn workers (2)")
    run.add_argument("--worker-class", choices=["sync", "gthread"], help="gunicorn (sync)")
    run.add_argument("--verifications", type=int, help="freshness samples (200)")
    run.add_argument("--burst", type=int, help="changes in the burst (1,000)")
    run.add_argument("--repeats", type=int, help="runs per recompute timing (3)")
    run.add_argument("--mixed-duration", type=float, help="seconds per mixed-load step (10)")
    run.add_argument("--mixed-warmup", type=float, help="warm-up per mixed-load step (2)")
    run.add_argument("--out", type=Path, help="results folder (bench/results)")
    scale = commands.add_parser("scale", help="how the costs grow: one load per size")
    scale.add_argument(
        "--reviews", default="1000000,10000000", help="sizes, comma-separated (1M and 10M)"
    )
    scale.add_argument("--duration", type=float, default=5.0, help="seconds of wrk (5)")
    scale.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up (2)")
    scale.add_argument("--repeats", type=int, default=3, help="runs per recompute timing (3)")
    scale.add_argument(
        "--big-model", type=int, default=1_000_000,
        help="counted reviews of the top ladder model at the largest size (1,000,000)",
    )  # fmt: skip
    scale.add_argument("--out", type=Path, help="results folder (bench/results)")
    load = commands.add_parser("load", help="only load a database of N reviews (no measures)")
    load.add_argument("--reviews", type=int, default=1_000_000, help="reviews (1,000,000)")
    mixed = commands.add_parser(
        "mixed", help="only the mixed-load step, on a database `load` filled (per-kind times)"
    )
    mixed.add_argument("--steps", default="8,16,32,64,128", help="connections per step")
    mixed.add_argument("--duration", type=float, default=10.0, help="seconds per step (10)")
    mixed.add_argument("--warmup", type=float, default=2.0, help="warm-up per step (2)")
    mixed.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    mixed.add_argument("--port", type=int, default=0, help="gunicorn's port (any free one)")
    mixed.add_argument("--out", type=Path, help="JSON of the steps (bench/results/tmp/mixed.json)")
    return parser


def mixed_main(args: argparse.Namespace) -> int:
    """`python -m bench mixed`: the mixed load alone on `aimodels_bench_load` (or
    BENCH_DATABASE_URL), which it writes to (new accounts, reviews, votes, verifications)."""
    os.environ.setdefault("BENCH_DATABASE_URL", f"{PG}/aimodels_bench_load")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"
    import json

    import django

    django.setup()
    from bench.database import redis_flush
    from bench.mixed_alone import run_mixed
    from bench.progress import BenchError

    try:
        steps = tuple(int(x) for x in args.steps.split(",") if x.strip())
    except ValueError:
        print("--steps: comma-separated integers", file=sys.stderr)
        return 2
    out = args.out or RESULTS / "tmp" / "mixed.json"
    scratch = out.parent / "mixed-scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        redis_flush()  # no documents, throttle counters or queued tasks of an earlier run
        result = run_mixed(
            scratch, steps=steps, duration_s=args.duration, warmup_s=args.warmup,
            workers=args.workers, port=args.port,
        )  # fmt: skip
    except BenchError as exc:
        print(f"\nbench FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    out.write_text(json.dumps(result, indent=1, default=str))
    print(f"results: {out}", flush=True)
    return 0


def load_main(args: argparse.Namespace) -> int:
    """`python -m bench load`: the data step alone, in `aimodels_bench_load` unless
    BENCH_DATABASE_URL says otherwise; the database stays for inspection."""
    os.environ.setdefault("BENCH_DATABASE_URL", f"{PG}/aimodels_bench_load")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"
    import django

    django.setup()
    from bench.progress import BenchError
    from bench.scale import load_only

    if args.reviews < 2_000:
        print("--reviews must be at least 2,000", file=sys.stderr)
        return 2
    try:
        load_only(args.reviews)
    except BenchError as exc:
        print(f"\nbench FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


def scale_main(args: argparse.Namespace) -> int:
    """`python -m bench scale`: its own database (`aimodels_bench_scale` unless
    BENCH_DATABASE_URL says otherwise)."""
    os.environ.setdefault("BENCH_DATABASE_URL", f"{PG}/aimodels_bench_scale")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"
    import django

    django.setup()
    from bench.progress import BenchError, say
    from bench.scale import ScaleConfig, run_scale

    try:
        sizes = tuple(int(x.replace("_", "")) for x in args.reviews.split(",") if x.strip())
    except ValueError:
        print("--reviews: comma-separated integers", file=sys.stderr)
        return 2
    if not sizes or min(sizes) < 2_000:
        print("--reviews: every size must be at least 2,000", file=sys.stderr)
        return 2
    cfg = ScaleConfig(
        sizes=sizes,
        out_dir=args.out or RESULTS,
        duration_s=args.duration,
        warmup_s=args.warmup,
        repeats=args.repeats,
        big_model_counted=args.big_model,
    )
    say(f"bench scale: {', '.join(f'{s:,}' for s in sizes)} reviews, results to {cfg.out_dir}")
    try:
        run_scale(cfg)
    except BenchError as exc:
        print(f"\nbench FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "scale":
        return scale_main(args)
    if args.command == "load":
        return load_main(args)
    if args.command == "mixed":
        return mixed_main(args)
    mode = "smoke" if args.smoke else "full"
    database = "aimodels_bench_smoke" if args.smoke else "aimodels_bench"
    os.environ.setdefault("BENCH_DATABASE_URL", f"{PG}/{database}")
    # The bench runs on its own settings only, whatever the shell says.
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"
    import django

    django.setup()
    from bench.progress import BenchError, say
    from bench.run import RunConfig, run

    options = dict(SMOKE) if args.smoke else {"reviews": 1_000_000}
    given = {
        "reviews": args.reviews,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "connections": args.connections,
        "gunicorn_workers": args.workers,
        "worker_class": args.worker_class,
        "verifications": args.verifications,
        "burst_changes": args.burst,
        "repeats": args.repeats,
        "mixed_duration_s": args.mixed_duration,
        "mixed_warmup_s": args.mixed_warmup,
    }
    options.update({k: v for k, v in given.items() if v is not None})
    if options["reviews"] < 2_000:
        # Fewer leave too few pending reviews to verify and too few on the burst's model.
        print("--reviews must be at least 2,000", file=sys.stderr)
        return 2
    out = args.out or (RESULTS / "tmp" / "smoke" if args.smoke else RESULTS)
    config = RunConfig(mode=mode, out_dir=out, **options)
    say(f"bench {mode}: {config.reviews:,} reviews, results to {out}")
    try:
        run(config)
    except BenchError as exc:
        print(f"\nbench FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
