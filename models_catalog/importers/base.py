"""What every importer shares: the report, the errors, and the transaction rules.

An importer turns one snapshot file into calls to `models_catalog.services`. It is split in
two steps so that a malformed *file* changes nothing:
1. `load(path)` reads and checks the whole file, raising `MalformedFile` with a message a
   person can act on; it returns `(as_of, records)`.
2. `import_record(record, as_of, report)` writes one record. A malformed *record* raises
   `RejectedRecord(record_id, reason)`; the record is rolled back to its savepoint, listed
   in the report, and the import goes on (with `--strict`, the whole import is undone).
"""

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django.db import DatabaseError, transaction


class MalformedFile(Exception):
    """The file as a whole cannot be read as this source's format; nothing was written."""


class RejectedRecord(Exception):
    def __init__(self, record_id: str, reason: str):
        super().__init__(f"{record_id}: {reason}")
        self.record_id = record_id
        self.reason = reason


class StrictImportFailed(Exception):
    """`--strict` and at least one record was rejected: the whole import was rolled back."""

    def __init__(self, message: str, report: "ImportReport"):
        super().__init__(message)
        self.report = report


class AsOfRequired(Exception):
    """Neither the caller nor the file name says which date the snapshot describes."""


_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def snapshot_date_from_name(path: Path) -> dt.date | None:
    """The YYYY-MM-DD date in a snapshot's file name (`openrouter-models-2026-08-19.json`)."""
    match = _DATE_IN_NAME.search(path.name)
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


@dataclass
class ImportReport:
    source: str
    as_of: dt.date | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    # Records of the file that name no model of the catalog (enrich-only sources).
    unmatched: list[str] = field(default_factory=list)
    # Models earlier snapshots listed that this one lacks; kept, only reported.
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # How many unmatched names `details()` lists; None lists all. LiteLLM's thousands of
    # reseller entries would drown the report, LMArena's unmatched names are its point.
    unmatched_shown: int | None = None

    def count(self, *, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        return (
            f"{self.source} (as of {self.as_of}): created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, rejected {len(self.rejected)}, "
            f"unmatched {len(self.unmatched)}, missing from snapshot {len(self.missing)}"
        )

    def details(self) -> list[str]:
        """The report's lists as printable lines: rejected, unmatched, missing, notes."""
        lines = [f"rejected {record_id}: {reason}" for record_id, reason in self.rejected]
        shown = self.unmatched[: self.unmatched_shown] if self.unmatched_shown else self.unmatched
        lines += [f"unmatched {name}" for name in shown]
        if len(shown) < len(self.unmatched):
            lines.append(f"unmatched ... and {len(self.unmatched) - len(shown)} more")
        lines += [f"missing {slug} (kept)" for slug in self.missing]
        lines += [f"note {note}" for note in self.notes]
        return lines


class Importer:
    """Base class; subclasses set `source` and implement `load` and `import_record`."""

    source: ClassVar[str]
    description: ClassVar[str]

    def load(self, path: Path) -> tuple[dt.date | None, list[Any]]:
        """Read and check the whole file; `(snapshot date if the file tells it, records)`."""
        raise NotImplementedError

    def record_id(self, record: Any) -> str:
        raise NotImplementedError

    def import_record(self, record: Any, as_of: dt.date, report: ImportReport) -> None:
        raise NotImplementedError

    def prepare(self, records: list[Any], as_of: dt.date, report: ImportReport) -> None:
        """Work before the records, inside the import's transaction. Optional.

        Enrich-only importers match the whole file against the catalog here, so that when
        several records name one model only the best of them writes to it.
        """

    def finish(self, as_of: dt.date, report: ImportReport) -> None:
        """Work after all records (missing models, unmatched summaries). Optional."""

    def run(
        self,
        path: Path,
        *,
        strict: bool = False,
        as_of: dt.date | None = None,
        progress: Callable[[int, int], None] | None = None,
        dry_run: bool = False,
    ) -> ImportReport:
        """Import `path` in one transaction; see the module docstring for the guarantees.

        Raises `MalformedFile`, `AsOfRequired` (no `as_of` and no date in the file name) or
        `StrictImportFailed`; in each case nothing was written. A dry run does all the work,
        reports it, and rolls it back.
        """
        snapshot_date, records = self.load(path)
        as_of = as_of or snapshot_date
        if as_of is None:
            raise AsOfRequired(
                f"{path.name} does not say which date it describes: pass --as-of YYYY-MM-DD"
            )
        report = ImportReport(source=self.source, as_of=as_of)
        with transaction.atomic():
            self.prepare(records, as_of, report)
            self._import_all(records, as_of, report, progress)
            self.finish(as_of, report)
            if strict and report.rejected:
                transaction.set_rollback(True)
                raise StrictImportFailed(
                    f"{len(report.rejected)} record(s) rejected with --strict; nothing was "
                    f"imported. First: {report.rejected[0][0]}: {report.rejected[0][1]}",
                    report,
                )
            if dry_run:
                transaction.set_rollback(True)
        return report

    def _import_all(
        self,
        records: Iterable[Any],
        as_of: dt.date,
        report: ImportReport,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        records = list(records)
        for index, record in enumerate(records, start=1):
            try:
                with transaction.atomic():  # a savepoint: a rejected record leaves no trace
                    self.import_record(record, as_of, report)
            except RejectedRecord as exc:
                report.rejected.append((exc.record_id, exc.reason))
            except (DatabaseError, ValueError, TypeError, KeyError) as exc:
                report.rejected.append((self.record_id(record), f"{type(exc).__name__}: {exc}"))
            if progress:
                progress(index, len(records))
