"""Profiles that say where the time goes, kept with the results so a missed target comes with
its explanation: Python's cProfile (top functions by own and by cumulative time) and every
SQL query Django ran with its duration. Times under cProfile are inflated by it."""

import cProfile
import io
import pstats
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django
from django.db import connection
from django.test.utils import CaptureQueriesContext

_SITE = str(Path(django.__file__).resolve().parent.parent) + "/"
_PROJECT = Path(__file__).resolve().parent.parent
_PROJECT_CODE = ("accounts", "config", "models_catalog", "reviews")


def profile(fn: Callable[[], Any], *, repeat: int = 1, top: int = 20) -> dict[str, Any]:
    """Run `fn` `repeat` times under cProfile and capture its queries (the last run's)."""
    fn()  # warm: the first call imports modules and loads the URLconf
    profiler = cProfile.Profile()
    started = time.perf_counter()
    for _ in range(repeat - 1):
        profiler.runcall(fn)
    with CaptureQueriesContext(connection) as queries:
        profiler.runcall(fn)
    wall = (time.perf_counter() - started) / repeat
    by_self, by_total = io.StringIO(), io.StringIO()
    pstats.Stats(profiler, stream=by_self).sort_stats("tottime").print_stats(top)
    pstats.Stats(profiler, stream=by_total).sort_stats("cumulative").print_stats(top * 3)
    sql_s = sum(float(q["time"]) for q in queries.captured_queries)
    return {
        "wall_ms_per_call": round(wall * 1000, 3),
        "queries_per_call": len(queries.captured_queries),
        "sql_ms_per_call": round(sql_s * 1000, 3),
        "queries": [
            {"ms": round(float(q["time"]) * 1000, 3), "sql": q["sql"][:400]}
            for q in queries.captured_queries
        ],
        # The project's own functions by cumulative time per call: which step costs what.
        "project_ms_per_call": _project_functions(profiler, repeat),
        # Where the time is spent (own time), and the call chains that lead there.
        "cprofile_self": _trimmed(by_self.getvalue()),
        "cprofile_cumulative": _trimmed(by_total.getvalue()),
    }


def _project_functions(profiler: cProfile.Profile, calls: int, top: int = 15) -> list[str]:
    """`ms  file:line(function)` for the project's functions, by cumulative time per call."""
    rows = []
    # `Stats.stats` is real but undocumented, and typeshed leaves it out.
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, line, function), (_, _, _, cumulative, _) in stats.items():
        path = Path(filename)
        if path.is_relative_to(_PROJECT) and path.relative_to(_PROJECT).parts[0] in _PROJECT_CODE:
            rows.append(
                (cumulative / calls * 1000, f"{path.relative_to(_PROJECT)}:{line}({function})")
            )
    rows.sort(reverse=True)
    return [f"{ms:8.3f} ms  {where}" for ms, where in rows[:top]]


def _trimmed(text: str) -> list[str]:
    """The stats table alone, site-packages paths shortened."""
    lines = [line.rstrip().replace(_SITE, "") for line in text.splitlines()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return [line for line in lines[start:] if line]
