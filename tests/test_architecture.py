"""The shape of the code: no import cycle among project modules, imports run one way between
apps, and every task published by name exists.

Imports are read from the source (ast), at module level and inside functions alike: a local
import that dodges a cycle at import time is still a cycle in the design.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import PROJECT_DIR

PACKAGES = ("config", "events", "accounts", "models_catalog", "reviews", "webhooks")
# Lowest first: an app may import only apps before it (and itself).
LAYERS = {name: rank for rank, name in enumerate(PACKAGES)}
# Wiring that names every app by design.
MAY_NAME_ANY_APP = ("config.urls", "config.celery", "config.settings")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_DIR).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (PROJECT_DIR / package).rglob("*.py"):
            modules[_module_name(path)] = path
    return modules


MODULES = _project_modules()


def _imported_names(module: str, path: Path) -> Iterator[str]:
    """Every dotted name `module` imports: `import a.b` gives a.b; `from a.b import c` gives
    a.b.c (a submodule, if there is one) or a.b; relative imports are resolved."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base


def _target(name: str) -> str | None:
    """The project module `name` loads (its longest project prefix), or None if external."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    return None


def _graph() -> dict[str, set[str]]:
    # Only the edge to the named module: `import a.b.c` also runs a/__init__ and a/b/__init__,
    # but a package that re-exports its submodules would then be in a "cycle" with every one
    # of them, which Python resolves without trouble. A submodule importing its own package's
    # __init__ (which imports it back) is a real cycle and is reported.
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {_target(name) for name in _imported_names(module, path)}
        graph[module] = {target for target in targets if target and target != module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_no_import_cycle_among_project_modules():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_sees_a_cycle_through_a_local_import(tmp_path):
    # given a module that imports another inside a function (the old dodge)
    source = tmp_path / "stale.py"
    source.write_text("def f():\n    from reviews.tasks import rating_recompute_task\n")
    # then the import is an edge, and a three-module loop is a cycle
    assert "reviews.tasks" in set(_imported_names("reviews.ratings.stale", source))
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_a_package_re_exporting_its_submodules_is_no_cycle():
    # reviews/ratings/__init__.py imports its submodules; they import their siblings by
    # module, never the package, so no edge leads back into the package
    graph = _graph()
    assert "reviews.ratings.stale" in graph["reviews.ratings"]
    assert "reviews.ratings" not in graph["reviews.ratings.stale"]


def _app(module: str) -> str:
    return module.split(".")[0]


def test_apps_import_only_lower_apps():
    wrong = []
    for module, targets in _graph().items():
        if module.startswith(MAY_NAME_ANY_APP):
            continue
        for target in targets:
            if LAYERS[_app(target)] > LAYERS[_app(module)]:
                wrong.append(f"{module} -> {target}")
    assert sorted(wrong) == []


def test_every_task_published_by_name_is_registered():
    import importlib

    from config.celery import app
    from config.enqueue import published_task_names

    # Import every project module, so each declares the names it publishes.
    for module in MODULES:
        if ".migrations." not in module and not module.startswith("config.settings."):
            importlib.import_module(module)
    app.loader.import_default_modules()
    names = published_task_names()
    assert names, "no task name declared: config.enqueue.task_name is not used"
    assert sorted(names - set(app.tasks)) == []
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    routed = set(app.conf.task_routes)
    assert sorted((scheduled | routed) - set(app.tasks)) == []


def test_no_project_module_imports_a_tasks_module():
    # Tasks are published by name (config.enqueue); only Celery's autodiscovery loads them.
    importers = {
        f"{module} -> {target}"
        for module, targets in _graph().items()
        for target in targets
        if target.endswith(".tasks") and target != "config.tasks"  # the task base class
    }
    assert sorted(importers) == []
