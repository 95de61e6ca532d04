"""`manage.py recompute_ratings [--model SLUG] [--check]`.

An interface only. Without --check: rebuild the stored rating summaries (every model, with
a fresh prior mean; or one model) by one grouped query and bulk upserts, through
`ratings_rebuild`. With --check: recompute in memory, write nothing, list every model whose
stored summary differs and every group whose running sums (reviews.ratings.sums) differ from
a scan of the reviews, and exit 1 if any does. A model whose data cannot be recomputed is
listed as failed, with the reason, and the others still run (exit 1).
"""

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from models_catalog.exceptions import ModelNotFound
from models_catalog.models import AIModel
from models_catalog.selectors import model_get_by_slug
from reviews.ratings import rating_sums_check, ratings_check, ratings_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the rating summaries from the published reviews (all models, or --model), "
        "or with --check list the stored summaries that differ from a recompute."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", metavar="SLUG", help="only this model (slug or alias)")
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; list models whose stored summary differs; exit 1 if any",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        model_ids = None
        if options["model"]:
            try:
                model_ids = [model_get_by_slug(options["model"]).pk]
            except ModelNotFound as exc:
                raise CommandError(exc.message) from exc
        if options["check"]:
            self._check(model_ids)
        else:
            self._rebuild(model_ids)

    def _rebuild(self, model_ids: list[int] | None) -> None:
        started = time.monotonic()
        self.stderr.write("recompute_ratings: reading every counted review in one query")
        report = ratings_rebuild(model_ids, progress=lambda line: self.stderr.write(line))
        self.stdout.write(
            f"Recomputed {report.written} of {report.models} model summaries "
            f"({report.with_reviews} with reviews) in {time.monotonic() - started:.1f} s; "
            f"prior mean {report.prior.mean:.4f} over {report.prior.review_count} reviews."
        )
        if report.failed:
            slugs = dict(AIModel.objects.filter(pk__in=report.failed).values_list("pk", "slug"))
            for model_id, reason in sorted(report.failed.items()):
                self.stdout.write(f"{slugs.get(model_id, model_id)}: failed: {reason}")
            self.stdout.write(f"{len(report.failed)} model(s) failed; the others are stored.")
            sys.exit(1)

    def _check(self, model_ids: list[int] | None) -> None:
        sums_ok = self._check_sums(model_ids)
        differences = ratings_check(model_ids)
        for difference in differences:
            if difference.error:
                self.stdout.write(f"{difference.slug}: failed: {difference.error}")
            else:
                self.stdout.write(f"{difference.slug}: differs in {', '.join(difference.fields)}")
        if differences:
            self.stdout.write(f"{len(differences)} stored summaries differ from a recompute.")
        else:
            self.stdout.write("Every stored summary matches a recompute.")
        if differences or not sums_ok:
            sys.exit(1)

    def _check_sums(self, model_ids: list[int] | None) -> bool:
        """The running sums against a scan of the reviews; False on any difference."""
        report = rating_sums_check(model_ids)
        if not report.maintained:
            self.stdout.write("Running rating sums: not maintained on this database (SQLite).")
            return True
        if report.problem:
            # Not in use: the pipeline scans the reviews instead, so nothing can disagree.
            self.stdout.write(
                f"Running rating sums: {report.problem}; not in use (the recompute scans) "
                "until `rating_sums_rebuild()` or the daily verify rebuilds them."
            )
            return True
        slugs = dict(
            AIModel.objects.filter(
                pk__in={d.model_id for d in report.differences} | set(report.failed)
            ).values_list("pk", "slug")
        )
        for model_id, reason in sorted(report.failed.items()):
            # Listed by the summaries' check too, which fails the command.
            self.stdout.write(f"{slugs.get(model_id, model_id)}: running sums unreadable: {reason}")
        for diff in report.differences:
            self.stdout.write(
                f"{slugs.get(diff.model_id, diff.model_id)} version {diff.model_version!r} "
                f"use-case mask {diff.use_case_mask}: running sums differ in "
                f"{', '.join(diff.fields)}"
            )
        if report.differences:
            self.stdout.write(f"{len(report.differences)} running sums differ from the reviews.")
            return False
        self.stdout.write("The running rating sums match the reviews.")
        return True
