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


class Importer:
    """Base class; subclasses set `source` and implement `load` and `import_record`."""

    source: ClassVar[str]
    description: ClassVar[str]

    def load(self, path: Path) -> tuple[dt.date, list[Any]]:
        raise NotImplementedError

    def record_id(self, record: Any) -> str:
        raise NotImplementedError

    def import_record(self, record: Any, as_of: dt.date, report: ImportReport) -> None:
        raise NotImplementedError

    def finish(self, as_of: dt.date, report: ImportReport) -> None:
        """Work after all records (missing models, unmatched summaries). Optional."""

    def run(
        self,
        path: Path,
        *,
        strict: bool = False,
        as_of: dt.date | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportReport:
        """Import `path` in one transaction; see the module docstring for the guarantees."""
        snapshot_date, records = self.load(path)
        as_of = as_of or snapshot_date
        report = ImportReport(source=self.source, as_of=as_of)
        with transaction.atomic():
            self._import_all(records, as_of, report, progress)
            self.finish(as_of, report)
            if strict and report.rejected:
                transaction.set_rollback(True)
                raise StrictImportFailed(
                    f"{len(report.rejected)} record(s) rejected with --strict; nothing was "
                    f"imported. First: {report.rejected[0][0]}: {report.rejected[0][1]}"
                )
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
