"""The results of a run: JSON (every figure, sample and profile), Markdown, a PNG chart, and
the summary printed at the end."""

import json
from pathlib import Path
from typing import Any

from bench.chart import chart
from bench.markdown import markdown
from bench.targets import fmt, verdict


def write(results: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (out_dir / "latest.md").write_text(markdown(results))
    chart(results, out_dir / "latest.png")


def summary_text(results: dict[str, Any]) -> str:
    read, rec = results["read"], results["recompute"]
    fresh, burst = results["freshness"], results["burst"]
    lines = [
        "",
        f"=== bench summary: {results['scale']['reviews']:,} reviews "
        f"({results['meta']['mode']} run) ===",
        *(
            f"{name:<11} {e['rps']:>9,.0f} req/s  p50 {e['p50_ms']:7.2f} ms  "
            f"p99 {e['p99_ms']:7.2f} ms"
            for name, e in read["endpoints"].items()
        ),
        "ratios: " + ", ".join(f"{k} {fmt(v)}" for k, v in read["ratios"].items()),
        f"floor drift (largest, between two floor runs): {fmt(read.get('floor_drift_max'), 3)}"
        f" -> {'reliable' if read.get('reliable', True) else 'UNRELIABLE (over 10%)'}",
        f"recompute_ratings {rec['recompute_ratings_s']:.3f} s, GROUP BY {rec['group_by_s']:.3f} s,"
        f" ratio {fmt(rec['ratio'])}",
        "one model: "
        + ", ".join(
            f"{r['counted']:,} counted {r['seconds'] * 1000:.1f} ms" for r in rec["ladder"]
        ),
        f"freshness ({fresh['verifications']} verifications): p50 {fresh['p50_s']:.3f} s, "
        f"p99 {fresh['p99_s']:.3f} s",
        f"burst: {burst['changes']} changes -> {burst['recomputes']} recomputes, exact "
        f"{burst['time_to_correct_s']:.2f} s after the last commit",
        "memory (peak RSS MiB): "
        + ", ".join(
            f"{n} main {fmt(m.get('main_peak_rss_mib'), 1)} / workers max "
            f"{fmt(m.get('max_worker_peak_rss_mib'), 1)}"
            for n, m in results["memory"].items()
        ),
        *_mixed_lines(results.get("mixed")),
        "targets:",
        *(
            f"  {t['short']:<20} {fmt(t['value'], 3):>8}  wanted {t['wanted']:<6} "
            f"{verdict(t).replace('*', '')}"
            for t in results["targets"]
        ),
    ]
    return "\n".join(lines)


def _mixed_lines(mixed: dict[str, Any] | None) -> list[str]:
    if not mixed:
        return []
    return [
        "mixed load (connections: req/s, 2xx/s, p95 ms, 409, 429, 5xx): "
        + ", ".join(
            f"{s['connections']}: {s['rps']:,.0f}, {s['ok_rps']:,.0f}, {s['p95_ms']:.1f}, "
            f"{s['conflicts']}, {s['throttled']}, {s['server_errors']}"
            for s in mixed["steps"]
        ),
        f"mixed knee (p95 < {mixed['p95_limit_ms']:g} ms): {fmt(mixed['knee_connections'])} "
        f"connections, {fmt(mixed['knee_rps'], 0)} req/s, / floor "
        f"{fmt(mixed['knee_over_floor'], 3)}, / baseline 89: {fmt(mixed['knee_over_baseline'])}",
    ]
