"""The results as one PNG (matplotlib, Agg backend: no display needed)."""

from pathlib import Path
from typing import Any

from matplotlib.ticker import FuncFormatter, NullFormatter

from bench.targets import fmt as _fmt


def _chart_rps(ax: Any, read: dict[str, Any]) -> None:
    names = list(read)
    bars = ax.bar(names, [read[n]["rps"] for n in names], color="#4c72b0")
    ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_title("Read path: requests/s (same gunicorn, same run)", fontsize=10)
    ax.tick_params(axis="x", labelrotation=30)


def _chart_latency(ax: Any, read: dict[str, Any]) -> None:
    names = list(read)
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], [read[n]["p50_ms"] for n in names], 0.4, label="p50")
    ax.bar([i + 0.2 for i in x], [read[n]["p99_ms"] for n in names], 0.4, label="p99")
    ax.set_xticks(list(x), names, rotation=30)
    ax.set_yscale("log")
    ax.set_title("Read path: latency (ms, log scale)", fontsize=10)
    ax.legend(fontsize=8)


def _chart_targets(ax: Any, targets_: list[dict[str, Any]]) -> None:
    """Each target as this run's value over the wanted value (1 = exactly on target)."""
    labels, values, colours = [], [], []
    for target in targets_:
        wanted = float(target["wanted"].split()[-1])
        if target["value"] is None:
            continue
        higher_is_better = target["wanted"].startswith(">")
        value = (
            target["value"] / wanted if higher_is_better else wanted / max(target["value"], 1e-9)
        )
        labels.append(target["short"])
        values.append(value)
        colours.append("#55a868" if target["met"] else "#c44e52")
    ax.barh(labels, values, color=colours)
    ax.set_xlim(min([*values, 0.5]) / 2, max([*values, 2]) * 2)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.bar_label(ax.containers[0], fmt="%.2f", fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title("Targets: this run / wanted (>= 1 met; log)", fontsize=10)


def _chart_recompute(ax: Any, rec: dict[str, Any]) -> None:
    names = ["recompute_ratings", "GROUP BY\n(same aggregates)", "GROUP BY\n+ version"]
    values = [rec["recompute_ratings_s"], rec["group_by_s"], rec["group_by_with_versions_s"]]
    bars = ax.bar(names, values, color=["#4c72b0", "#8c8c8c", "#b0b0b0"])
    ax.bar_label(bars, fmt="%.3f s", fontsize=8)
    ax.set_title(f"All models: recompute vs floor (ratio {_fmt(rec['ratio'])})", fontsize=10)
    ax.tick_params(axis="x", labelsize=8)


def _chart_ladder(ax: Any, ladder: list[dict[str, Any]]) -> None:
    xs = [r["counted"] for r in ladder]
    ys = [r["seconds"] * 1000 for r in ladder]
    ax.plot(xs, ys, "o-")
    for x, y in zip(xs, ys, strict=True):
        ax.annotate(f"{y:.1f} ms", (x, y), fontsize=8, textcoords="offset points", xytext=(4, 4))
    ax.set_xscale("log")
    ax.set_xlabel("counted reviews of the model")
    ax.set_ylabel("ms")
    ax.set_ylim(bottom=0)
    ax.set_title("One model's recompute as it grows", fontsize=10)


def _chart_freshness(ax: Any, fresh: dict[str, Any], burst: dict[str, Any]) -> None:
    samples = sorted(fresh["samples_s"])
    ax.plot(samples, [(i + 1) / len(samples) for i in range(len(samples))])
    ax.axvline(2.0, color="#c44e52", label="target (2 s)")
    ax.axvline(fresh["debounce_s"], linestyle="--", color="grey", label="debounce delay")
    ax.set_xlabel("seconds from commit to visible")
    ax.set_xlim(left=0)
    ax.set_title(
        f"Freshness CDF, {fresh['verifications']} verifications\n(burst: "
        f"{burst['changes']} changes, {burst['recomputes']} recomputes)",
        fontsize=9,
    )
    ax.legend(fontsize=8)


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(16, 9))
    read = results["read"]["endpoints"]
    _chart_rps(axes[0][0], read)
    _chart_latency(axes[0][1], read)
    _chart_targets(axes[0][2], results["targets"])
    _chart_recompute(axes[1][0], results["recompute"])
    _chart_ladder(axes[1][1], results["recompute"]["ladder"])
    _chart_freshness(axes[1][2], results["freshness"], results["burst"])
    scale, machine = results["scale"], results["machine"]
    fig.suptitle(
        f"{results['meta']['mode']} run {results['meta']['started_at']}: "
        f"{scale['reviews']:,} reviews, {machine['cores']} cores ({machine['cpu']})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
