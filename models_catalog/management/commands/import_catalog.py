"""`manage.py import_catalog --source SOURCE [--as-of DATE] [--strict] [--dry-run] FILE`.

An interface only: it parses the options, runs one importer and prints its report. The
guarantees (nothing written for a malformed file, a rejected record rolled back alone,
`--strict` all or nothing) are the importer's; see `models_catalog.importers.base`.
"""

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from models_catalog.importers import IMPORTERS, artificial_analysis, importer_for
from models_catalog.importers.base import (
    AsOfRequired,
    MalformedFile,
    StrictImportFailed,
)


class Command(BaseCommand):
    help = (
        "Import one snapshot file into the catalog. OpenRouter creates models; litellm, "
        "models_dev, lmarena and artificial_analysis only enrich models the catalog already "
        "has."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="the snapshot file (models_dev: folder)")
        parser.add_argument("--source", required=True, choices=sorted(IMPORTERS))
        parser.add_argument(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="the date the snapshot describes (default: a date in the file name)",
        )
        parser.add_argument(
            "--strict", action="store_true", help="import nothing if any record is rejected"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="do everything, report, then roll back"
        )
        parser.add_argument(
            "--board", choices=["text", "vision"], help="lmarena only (default: from the file)"
        )
        parser.add_argument(
            "--fetch",
            action="store_true",
            help="artificial_analysis only: download their models API body to FILE first "
            "(needs ARTIFICIAL_ANALYSIS_API_KEY)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        extra = {"board": options["board"]} if options["board"] else {}
        try:
            importer = importer_for(options["source"], **extra)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["fetch"]:
            fetch_artificial_analysis(options["source"], Path(options["file"]))
        try:
            report = importer.run(
                Path(options["file"]),
                strict=options["strict"],
                as_of=parse_as_of(options["as_of"]),
                progress=progress_printer(importer.source, self.stderr),
                dry_run=options["dry_run"],
            )
        except StrictImportFailed as exc:
            for line in exc.report.details():
                self.stderr.write(f"  {line}")
            raise CommandError(str(exc)) from exc
        except (MalformedFile, AsOfRequired) as exc:
            raise CommandError(str(exc)) from exc
        prefix = "dry run, rolled back: " if options["dry_run"] else ""
        self.stdout.write(prefix + report.summary())
        for line in report.details():
            self.stdout.write(f"  {line}")


def fetch_artificial_analysis(source: str, destination: Path) -> None:
    """`--fetch`: download the Artificial Analysis body to `destination` with the API key."""
    if source != "artificial_analysis":
        raise CommandError("--fetch applies to --source artificial_analysis only")
    api_key = os.environ.get("ARTIFICIAL_ANALYSIS_API_KEY", "")
    if not api_key:
        raise CommandError("--fetch needs ARTIFICIAL_ANALYSIS_API_KEY in the environment")
    try:
        artificial_analysis.fetch(destination, api_key)
    except MalformedFile as exc:
        raise CommandError(str(exc)) from exc


def parse_as_of(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of must be a date YYYY-MM-DD, got {value!r}") from None


def progress_printer(label: str, stream: OutputWrapper) -> Callable[[int, int], None]:
    """A progress callback that writes a line at every 10% of the records."""

    def show(done: int, total: int) -> None:
        if done == total or done * 10 // total != (done - 1) * 10 // total:
            stream.write(f"{label}: {done * 100 // total}% ({done}/{total})")

    return show
