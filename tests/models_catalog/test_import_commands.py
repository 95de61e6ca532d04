"""`manage.py import_catalog` and `manage.py load_shipped_catalog`, end to end."""

import copy
import datetime as dt
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from models_catalog.management.commands.load_shipped_catalog import (
    DEFAULT_MANIFEST,
    read_manifest,
)
from models_catalog.models import AIModel, MetricValue, Price
from tests.conftest import SHIPPED_CATALOG_DIR

pytestmark = pytest.mark.django_db

IDS = ("openai/o4-mini", "openai/o3", "openai/gpt-4.1")


def records(*ids: str) -> list[dict[str, Any]]:
    """Real records of the shipped August OpenRouter listing, copied so tests may break them."""
    snapshot = SHIPPED_CATALOG_DIR / "openrouter-models-2026-08-19.json"
    by_id = {r["id"]: r for r in json.loads(snapshot.read_text())["data"]}
    return [copy.deepcopy(by_id[i]) for i in ids]


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def run(*args: str, **options: Any) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def small_snapshot(tmp_path: Path) -> Path:
    return write(tmp_path / "openrouter-models-2026-08-19.json", {"data": records(*IDS)})


def test_import_catalog_prints_progress_and_summary(small_snapshot):
    # when a three-model snapshot is imported (the date comes from the file name)
    out, err = run("import_catalog", str(small_snapshot), source="openrouter")
    # then the summary counts three creations and progress reached 100%
    assert out.splitlines()[0] == (
        "openrouter (as of 2026-08-19): created 3, updated 0, unchanged 0, rejected 0, "
        "unmatched 0, missing from snapshot 0"
    )
    assert "openrouter: 100% (3/3)" in err
    assert AIModel.objects.count() == 3


def test_import_catalog_lists_rejected_record_with_reason(tmp_path):
    snapshot = records(*IDS)
    snapshot[1]["pricing"]["completion"] = "-0.00001"
    path = write(tmp_path / "openrouter-models-2026-08-19.json", {"data": snapshot})
    out, _ = run("import_catalog", str(path), source="openrouter")
    assert "created 2" in out and "rejected 1" in out
    assert "  rejected openai/o3: pricing.completion must not be negative, got '-0.00001'" in out


def test_import_catalog_strict_writes_nothing_and_fails(tmp_path):
    snapshot = records(*IDS)
    snapshot[2]["context_length"] = "abc"
    path = write(tmp_path / "openrouter-models-2026-08-19.json", {"data": snapshot})
    with pytest.raises(CommandError, match="1 record\\(s\\) rejected with --strict"):
        run("import_catalog", str(path), source="openrouter", strict=True)
    assert not AIModel.objects.exists()


def test_import_catalog_dry_run_reports_and_rolls_back(small_snapshot):
    out, _ = run("import_catalog", str(small_snapshot), source="openrouter", dry_run=True)
    assert out.startswith("dry run, rolled back: openrouter (as of 2026-08-19): created 3")
    assert not AIModel.objects.exists()
    assert not Price.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{oops", "is not valid JSON"),
        ('{"models": []}', "is not an OpenRouter models listing"),
        (None, "no such file"),
    ],
)
def test_import_catalog_malformed_file_is_one_line_error(tmp_path, content, message):
    path = tmp_path / "openrouter-models-2026-08-19.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CommandError, match=message) as error:
        run("import_catalog", str(path), source="openrouter")
    assert "\n" not in str(error.value)
    assert not AIModel.objects.exists()


def test_import_catalog_without_date_asks_for_as_of():
    with pytest.raises(CommandError, match="pass --as-of YYYY-MM-DD"):
        run(
            "import_catalog",
            str(SHIPPED_CATALOG_DIR / "lmarena-leaderboard-text-style-control.json"),
            source="lmarena",
        )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"source": "openrouter", "board": "text"}, "--board applies to --source lmarena only"),
        ({"source": "openrouter", "as_of": "19/08/2026"}, "--as-of must be a date YYYY-MM-DD"),
    ],
)
def test_import_catalog_rejects_bad_options(small_snapshot, options, message):
    with pytest.raises(CommandError, match=message):
        run("import_catalog", str(small_snapshot), **options)


def test_import_catalog_malformed_file_exits_non_zero(tmp_path):
    # given a file that is not JSON; when run from a shell
    path = tmp_path / "openrouter-models-2026-08-19.json"
    path.write_text("<html>rate limited</html>")
    result = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", "import_catalog", "--source", "openrouter", str(path)],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        check=False,
    )
    # then the exit code is non-zero and stderr says what is wrong in one line
    assert result.returncode != 0
    assert result.stderr.strip().startswith("CommandError:")
    assert "is not valid JSON" in result.stderr


def test_load_shipped_catalog_manifest_lists_shipped_files():
    shipped = read_manifest(DEFAULT_MANIFEST)
    assert [s.source for s in shipped] == [
        "openrouter",
        "litellm",
        "models_dev",
        "lmarena",
        "lmarena",
    ]
    assert all(s.path.exists() for s in shipped)
    assert shipped[1].as_of == dt.date(2026, 11, 29)


def test_load_shipped_catalog_twice_changes_nothing_second_time(tmp_path):
    # given a manifest of small files, one per source
    write(tmp_path / "openrouter.json", {"data": records(*IDS)})
    write(
        tmp_path / "litellm.json",
        {
            "o4-mini": {
                "litellm_provider": "openai",
                "input_cost_per_token": 1.1e-06,
                "output_cost_per_token": 4.4e-06,
            }
        },
    )
    lab = tmp_path / "models-dev" / "models" / "openai"
    lab.mkdir(parents=True)
    (lab / "o3.toml").write_text('release_date = "2025-04-16"\nopen_weights = false\n')
    write(
        tmp_path / "arena.json",
        {
            "full": {
                "o4-mini-2025-04-16": {
                    "rating": 1391.38,
                    "rating_q025": 1387.43,
                    "rating_q975": 1395.34,
                }
            }
        },
    )
    files = [
        {"source": "openrouter", "path": "openrouter.json", "as_of": "2026-08-19"},
        {"source": "litellm", "path": "litellm.json", "as_of": "2026-11-29"},
        {"source": "models_dev", "path": "models-dev", "as_of": "2026-07-02"},
        {
            "source": "lmarena",
            "path": "arena.json",
            "as_of": "2025-12-17",
            "options": {"board": "text"},
        },
    ]
    manifest = write(tmp_path / "manifest.json", {"files": files})
    # when loaded twice
    first, _ = run("load_shipped_catalog", manifest=str(manifest))
    second, _ = run("load_shipped_catalog", manifest=str(manifest))
    # then each run prints one line per file, and the second creates and updates nothing
    assert len(first.splitlines()) == len(second.splitlines()) == 4
    assert "openrouter.json: openrouter (as of 2026-08-19): created 3" in first
    assert all("created 0, updated 0" in line for line in second.splitlines())
    assert MetricValue.objects.get().model.slug == "openai/o4-mini"


def test_load_shipped_catalog_malformed_manifest_is_command_error(tmp_path):
    manifest = write(tmp_path / "manifest.json", {"files": [{"source": "nope", "path": "x"}]})
    with pytest.raises(CommandError, match="is malformed"):
        run("load_shipped_catalog", manifest=str(manifest))
