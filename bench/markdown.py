"""The results as Markdown: the machine and scale, the issue's targets, every figure, and the
profiles that explain a missed target."""

from typing import Any

from bench.targets import DOCUMENT_TARGETS
from bench.targets import fmt as _fmt
from bench.targets import verdict as _verdict


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(_fmt(c) if not isinstance(c, str) else c for c in r) + " |" for r in rows
    ]
    return [*lines, ""]


def _machine(results: dict[str, Any]) -> list[str]:
    machine, scale, read = results["machine"], results["scale"], results["read"]
    top = scale["most_reviewed"]
    return [
        "## Machine and scale",
        "",
        *_table(
            ["what", "value"],
            [
                ["CPU", f"{machine['cpu']}, {machine['cores']} cores"],
                ["RAM", f"{machine['ram_gib']} GiB"],
                ["PostgreSQL / Redis", f"{machine['postgresql']} / {machine['redis']}"],
                [
                    "Python / Django / gunicorn / Celery",
                    f"{machine['python']} / {machine['django']} / {machine['gunicorn']} / "
                    f"{machine['celery']}",
                ],
                [
                    "load generator",
                    f"{machine['wrk']}, {read['connections']} connections, "
                    f"{read['duration_s']:g} s per endpoint after {read['warmup_s']:g} s warm-up",
                ],
                [
                    "web server",
                    f"gunicorn, {read['server']['workers']} "
                    f"{read['server']['worker_class']} workers",
                ],
                [
                    "reviews / users / models",
                    f"{scale['reviews']:,} / {scale['users']:,} / {scale['models']:,}",
                ],
                ["status mix", ", ".join(f"{k} {v:,}" for k, v in scale["status"].items())],
                [
                    "most reviewed model",
                    f"{top['slug']}: {top['reviews']:,} reviews, "
                    f"{top['counted']:,} counted (published, no conflict of interest)",
                ],
                ["review texts", scale["texts"]],
            ],
        ),
    ]


def _drift_sentence(read: dict[str, Any]) -> str:
    drift, allowed = read.get("floor_drift_max"), read.get("max_floor_drift_allowed", 0.1)
    if drift is None:
        return ""
    if read.get("reliable", True):
        return f"Largest floor drift {drift:.1%} (at most {allowed:.0%} allowed): reliable."
    return (
        f"**Unreliable run:** the floor drifted by up to {drift:.1%} between two of its runs "
        f"(more than {allowed:.0%}): the machine's capacity changed during the step."
    )


def _read(results: dict[str, Any]) -> list[str]:
    read = results["read"]
    return [
        "## Targets (issue 6)",
        "",
        *_table(
            ["target", "wanted", "this run", "verdict", "note"],
            [
                [t["target"], t["wanted"], _fmt(t["value"], 3), _verdict(t), t["note"]]
                for t in results["targets"]
            ],
        ),
        "## Read path (requests/s, latency in ms)",
        "",
        f"Production throttles on; wrk from {read.get('addresses', 1):,} client addresses "
        "(X-Forwarded-For from a trusted proxy), the `detail_key` row with an API key. The "
        "floor runs between every two endpoints; each ratio is against the mean of the two "
        "floors around it. " + _drift_sentence(read),
        "",
        *_table(
            [
                "endpoint",
                "req/s",
                "p50",
                "p99",
                "body bytes",
                "gzipped bytes",
                "/ floor",
                "floor drift",
            ],
            [
                [
                    name,
                    f"{e['rps']:,.0f}",
                    e["p50_ms"],
                    e["p99_ms"],
                    e.get("body_bytes"),
                    e.get("gzip_bytes", ""),
                    e.get("over_floor", ""),
                    "" if e.get("floor_drift") is None else f"{e['floor_drift']:.1%}",
                ]
                for name, e in read["endpoints"].items()
            ],
        ),
        *_table(["ratio (throughput)", "value"], [[k, v] for k, v in read["ratios"].items()]),
        "Per request in process, same settings, under cProfile (which inflates the time): "
        + "; ".join(
            f"{name} {p['wall_ms_per_call']:.2f} ms, {p['queries_per_call']} queries "
            f"({p['sql_ms_per_call']:.2f} ms SQL)"
            for name, p in read["profile"].items()
        ),
        "",
    ]


def _recompute(results: dict[str, Any]) -> list[str]:
    rec = results["recompute"]
    return [
        "## Recompute",
        "",
        *_table(
            ["what", "seconds"],
            [
                ["`recompute_ratings` (all models, median)", rec["recompute_ratings_s"]],
                ["bare `GROUP BY model_id` (the floor)", rec["group_by_s"]],
                ["bare `GROUP BY model_id, model_version`", rec["group_by_with_versions_s"]],
                ["bare `GROUP BY model_id`, count and sum only", rec["group_by_count_sum_only_s"]],
                ["ratio recompute / floor", rec["ratio"]],
                [
                    "ratio recompute / `GROUP BY model_id, model_version`",
                    rec.get("ratio_vs_group_by_with_versions"),
                ],
                [
                    "first `recompute_ratings` after the load (cold)",
                    results["load"].get("initial_recompute_ratings_s"),
                ],
            ],
        ),
        *_table(
            ["one model's recompute", "reviews", "counted", "ms (median)"],
            [[r["slug"], r["reviews"], r["counted"], r["seconds"] * 1000] for r in rec["ladder"]],
        ),
    ]


def _pipeline(results: dict[str, Any]) -> list[str]:
    fresh, burst = results["freshness"], results["burst"]
    return [
        "## Freshness and burst (real Celery worker, Redis broker)",
        "",
        *_table(
            ["what", "value"],
            [
                ["verifications", fresh["verifications"]],
                ["`RATING_DEBOUNCE_SECONDS` (delay before each recompute)", fresh["debounce_s"]],
                [
                    "commit -> visible, p50 / p90 / p99 / max (s)",
                    f"{fresh['p50_s']:.3f} / {fresh['p90_s']:.3f} / {fresh['p99_s']:.3f} / "
                    f"{fresh['max_s']:.3f}",
                ],
                [
                    "burst: changes to one model",
                    f"{burst['changes']:,} in "
                    f"{burst['changes_duration_s']:.1f} s ({burst['model']})",
                ],
                [
                    "burst: reviews cycled (hide, restore, ... hide)",
                    f"{burst['reviews_cycled']}: counted {burst['counted_before']:,} -> "
                    f"{burst['counted_after']:,}",
                ],
                ["burst: recomputes executed", burst["recomputes"]],
                ["burst: last commit -> exact summary (s)", burst["time_to_correct_s"]],
            ],
        ),
    ]


def _memory_and_load(results: dict[str, Any]) -> list[str]:
    return [
        "## Memory (peak RSS, VmHWM, MiB)",
        "",
        *_table(
            ["process", "main", "workers (each)", "total"],
            [
                [
                    name,
                    m.get("main_peak_rss_mib"),
                    ", ".join(f"{w:.1f}" for w in m.get("worker_peak_rss_mib", [])),
                    m.get("total_peak_rss_mib"),
                ]
                for name, m in results["memory"].items()
            ],
        ),
        "## Load",
        "",
        *_table(["step", "seconds"], [[k, v] for k, v in results["load"].items()]),
    ]


def _mixed(results: dict[str, Any]) -> list[str]:
    mixed = results.get("mixed")
    if not mixed:
        return []
    mix = ", ".join(f"{kind} {share}%" for kind, share in mixed["mix_percent"].items())
    gained = mixed["rows_gained"]
    sent = mixed["sent_by_kind"]
    return [
        "## Mixed load (issue 14)",
        "",
        f"One wrk script: {mix}. Anonymous readers from {mixed['addresses']:,} addresses, "
        f"{mixed['pools']['writers']} signed-in writers and {mixed['pools']['moderators']} "
        "moderators each from their own, all behind the trusted proxy header: the production "
        "throttles apply. Reads ask for the documents of the "
        f"{mixed['pools']['read_models']} most reviewed models. Each step: "
        f"{mixed['warmup_s']:g} s warm-up, then {mixed['duration_s']:g} s measured. The knee "
        f"is the highest step with p95 under {mixed['p95_limit_ms']:g} ms. A 409 or 429 is "
        "a failure, counted apart from the 2xx.",
        "",
        *_table(
            ["connections", "req/s", "2xx/s", "p50", "p95", "p99", "statuses", "error codes"],
            [
                [
                    s["connections"],
                    f"{s['rps']:,.0f}",
                    f"{s['ok_rps']:,.0f}",
                    s["p50_ms"],
                    s["p95_ms"],
                    s["p99_ms"],
                    ", ".join(f"{k}: {v:,}" for k, v in s["statuses"].items()),
                    ", ".join(f"{k}: {v:,}" for k, v in s["error_codes"].items()) or "none",
                ]
                for s in mixed["steps"]
            ],
        ),
        *_table(
            ["what", "value"],
            [
                [
                    "knee (connections / req/s / p95 ms)",
                    f"{_fmt(mixed['knee_connections'])} / {_fmt(mixed['knee_rps'], 0)} / "
                    f"{_fmt(mixed['knee_p95_ms'], 1)}",
                ],
                ["knee / floor of this run", _fmt(mixed["knee_over_floor"], 3)],
                ["knee / 89 req/s (the issue's baseline)", _fmt(mixed["knee_over_baseline"])],
                ["peak req/s (any step)", _fmt(mixed["peak_rps"], 0)],
                [
                    "rows written (reviews / votes / reports / verifications)",
                    f"{gained['reviews']:,} / {gained['votes']:,} / {gained['reports']:,} / "
                    f"{gained['verifications']:,}",
                ],
                [
                    "requests sent (review / vote / report / verify, warm-ups included)",
                    f"{sent['review_create']:,} / {sent['vote']:,} / {sent['report']:,} / "
                    f"{sent['moderation_verify']:,}",
                ],
            ],
        ),
    ]


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        f"# Benchmark results ({meta['mode']} run)",
        "",
        f"Run {meta['started_at']} to {meta['finished_at']} ({meta['duration_s']:.0f} s): "
        f"`{meta['command']}`. Every figure comes from this one run; ratios compare figures "
        "measured minutes apart on the same machine.",
        "",
        *_machine(results),
        *_read(results),
        *_recompute(results),
        *_pipeline(results),
        *_memory_and_load(results),
        *_mixed(results),
    ]
    missed = [t for t in results["targets"] if t["met"] is False]
    if missed:
        lines += ["## Why targets were missed: profiles", ""]
        lines += _profiles(results, missed)
    return "\n".join(lines) + "\n"


def _profiles(results: dict[str, Any], missed: list[dict[str, Any]]) -> list[str]:
    """The profile that goes with each missed target."""
    out = []
    names = " ".join(t["target"] for t in missed)
    sections = []
    if "rating endpoint" in names:
        sections += [
            (f"in-process profile of the {n} endpoint", results["read"]["profile"][n])
            for n in ("rating", "floor_drf", "floor")
        ]
    profiles = results["read"].get("profile", {})
    for label, key, _, _ in DOCUMENT_TARGETS:
        if label in names and key in profiles:
            sections.append((f"in-process profile of the {key} endpoint", profiles[key]))
    if "recompute_ratings" in names:
        sections.append(("profile of `recompute_ratings`", results["recompute"]["profile"]))
    if "mixed load" in names and results.get("mixed", {}).get("profile"):
        for kind in ("detail", "reviews", "list"):
            if kind in profiles:
                sections.append((f"mixed load: in-process profile of {kind}", profiles[kind]))
        for kind, prof in results["mixed"]["profile"].items():
            sections.append((f"mixed load: in-process profile of {kind}", prof))
    for title, prof in sections:
        out += [f"### {title}", "", "```"]
        out += [f"{q['ms']:>9.3f} ms  {q['sql']}" for q in prof["queries"]]
        out += ["", "project code, cumulative per call:", *prof["project_ms_per_call"]]
        out += ["", "own time (all calls):", *prof["cprofile_self"][:13], "```", ""]
    if "freshness" in names:
        fresh = results["freshness"]
        beyond = [round(x - fresh["debounce_s"], 4) for x in fresh["samples_s"]]
        out += [
            "### freshness: samples minus the debounce delay (s)",
            "",
            f"Each recompute is published with a countdown of {fresh['debounce_s']} s "
            "(`RATING_DEBOUNCE_SECONDS`), so no sample can be shorter; what remains is the "
            "recompute, the broker and the polling (every 10 ms):",
            "",
            "```",
            " ".join(map(str, beyond)),
            "```",
            "",
        ]
    return out
