"""Store one spelling per model version (issue 15): reviews and revisions that named the
current version by the model's undated slug or one of its aliases are rewritten to the
canonical dated slug (`AIModel.version_slug`), as `review_version_canonical` does on every
write now. Models whose reviews changed are marked stale, so the rating pipeline's sweep
recomputes their per-version summaries."""

from typing import Any

from django.apps.registry import Apps
from django.db import migrations
from django.db.models import F
from django.utils import timezone


def _canonical_versions(apps: Apps, schema_editor: Any) -> None:
    AIModel = apps.get_model("models_catalog", "AIModel")
    ModelAlias = apps.get_model("models_catalog", "ModelAlias")
    Review = apps.get_model("reviews", "Review")
    ReviewRevision = apps.get_model("reviews", "ReviewRevision")
    ModelRatingState = apps.get_model("reviews", "ModelRatingState")
    dated = AIModel.objects.exclude(version_slug="").exclude(version_slug=F("slug"))
    for model in dated.filter(reviews__isnull=False).distinct().iterator():
        names = {model.slug, *ModelAlias.objects.filter(model=model).values_list("slug", flat=True)}
        reviews = Review.objects.filter(model=model, model_version__in=names)
        changed = reviews.update(model_version=model.version_slug)
        ReviewRevision.objects.filter(review__model=model, model_version__in=names).update(
            model_version=model.version_slug
        )
        if changed:
            _mark_stale(ModelRatingState, model)


def _mark_stale(ModelRatingState: Any, model: Any) -> None:  # noqa: N803 (a historical model)
    # Like reviews.ratings.rating_mark_stale, without the after-commit enqueue: the beat
    # sweep picks up ratings left stale.
    now = timezone.now()
    marked = ModelRatingState.objects.filter(model=model).update(
        stale=True, stale_since=now, change_seq=F("change_seq") + 1
    )
    if not marked:
        ModelRatingState.objects.create(model=model, stale=True, stale_since=now, change_seq=1)


class Migration(migrations.Migration):
    dependencies = [
        ("models_catalog", "0001_initial"),
        ("reviews", "0002_model_rating"),
    ]

    operations = [migrations.RunPython(_canonical_versions, migrations.RunPython.noop)]
