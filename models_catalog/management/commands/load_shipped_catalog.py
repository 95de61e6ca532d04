"""`manage.py load_shipped_catalog`: import the snapshots in `data/catalog/`, in order.

The list, with each file's source and as-of date, is `data/catalog/manifest.json`. Safe to
run again (`make run` does, every time): every importer is idempotent, so a second run
creates and updates nothing. Each file is imported in its own transaction; a malformed
file stops the command with the files before it imported and those after it untouched.
"""

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from models_catalog.importers import IMPORTERS, importer_for
from models_catalog.importers.base import AsOfRequired, MalformedFile

DEFAULT_MANIFEST = Path(settings.BASE_DIR) / "data" / "catalog" / "manifest.json"


@dataclass(frozen=True)
class ShippedFile:
    source: str
    path: Path
    as_of: dt.date
    options: dict[str, str] = field(default_factory=dict)


class Command(BaseCommand):
    help = "Import the catalog snapshots shipped in data/catalog/ (see its manifest.json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--manifest", default=str(DEFAULT_MANIFEST), help="manifest to follow")

    def handle(self, *args: Any, **options: Any) -> None:
        for shipped in read_manifest(Path(options["manifest"])):
            try:
                importer = importer_for(shipped.source, **shipped.options)
                report = importer.run(shipped.path, as_of=shipped.as_of)
            except (ValueError, MalformedFile, AsOfRequired) as exc:
                raise CommandError(f"{shipped.path.name}: {exc}") from exc
            self.stdout.write(f"{shipped.path.name}: {report.summary()}")


def read_manifest(path: Path) -> list[ShippedFile]:
    """The manifest's files, paths resolved against its folder; `CommandError` if malformed."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return [_shipped_file(path.parent, item) for item in document["files"]]
    except FileNotFoundError:
        raise CommandError(f"{path}: no such manifest") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise CommandError(
            f"{path} is malformed ({type(exc).__name__}: {exc}); expected "
            '{"files": [{"source": ..., "path": ..., "as_of": "YYYY-MM-DD"}, ...]}'
        ) from None


def _shipped_file(folder: Path, item: dict[str, Any]) -> ShippedFile:
    if item["source"] not in IMPORTERS:
        raise ValueError(f"unknown source {item['source']!r}")
    return ShippedFile(
        source=item["source"],
        path=folder / item["path"],
        as_of=dt.date.fromisoformat(item["as_of"]),
        options=dict(item.get("options", {})),
    )
