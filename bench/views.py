"""The two baselines the read path is measured against, served by the same gunicorn.

- The floor: a bare Django view returning a constant JSON body of a given size. It goes
  through the same middleware as the API but does no work of its own, so it is the most
  requests per second this server, on this machine, in this run, can answer.
- The naive peer: the rating fields computed from the reviews on every request, as on-read
  apps do (django-oscar, django-star-ratings): one aggregate query over the model's reviews,
  grouped by version, behind the same DRF stack as the real endpoint. The site-wide prior mean
  it takes once per process: scanning the whole table on every request would make the peer a
  straw man rather than a fair on-read design.
"""

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Count, FloatField, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.documents import generations_bump_now, model_generation
from models_catalog.api.views import ModelDetailApi
from models_catalog.models import AIModel
from reviews.models import SUB_RATINGS, Review, ReviewStatus
from reviews.scoring import STARS, RatingInputs, summarise

MAX_FLOOR_BYTES = 1 << 20


@functools.cache
def _floor_body(size: int) -> bytes:
    skeleton = b'{"pad":""}'
    return skeleton[:-2] + b"x" * max(size - len(skeleton), 0) + skeleton[-2:]


@require_GET
def floor(request: HttpRequest, size: int) -> HttpResponse:
    """A constant JSON body of exactly `size` bytes (at least 10)."""
    if size > MAX_FLOOR_BYTES:
        raise Http404("too large")
    return HttpResponse(_floor_body(size), content_type="application/json")


class FloorDrfApi(APIView):
    """The same constant body through DRF (content negotiation, authentication, permission,
    JSON rendering) and nothing else: between the floor and the rating endpoint, it tells
    the framework's share of a request from the endpoint's own work."""

    permission_classes = [AllowAny]

    def get(self, request: Request, size: int) -> Response:
        if size > MAX_FLOOR_BYTES:
            raise Http404("too large")
        return Response({"pad": "x" * max(size - len(b'{"pad":""}'), 0)})


def _parameters() -> tuple[float, float, float]:
    """Prior weight C, half-life in days and z: the settings the real pipeline uses."""
    return (
        float(settings.RATING_PRIOR_WEIGHT),
        float(settings.RATING_HALF_LIFE_DAYS),
        float(settings.RATING_Z),
    )


@functools.cache
def _prior_mean() -> float:
    counted = Review.objects.filter(status=ReviewStatus.PUBLISHED, conflict_of_interest=False)
    total = counted.aggregate(mean=Sum("rating", output_field=FloatField()), n=Count("id"))
    return total["mean"] / total["n"] if total["n"] else 3.0


def _aggregates(half_life_days: float) -> dict[str, Any]:
    # 0.5 ** (age / half-life) per row: per-row maths on every request is what on-read costs.
    # In double precision, as the pipeline does (EXTRACT returns numeric, whose power() is
    # several times slower, which would make the peer look worse than it need be).
    age_s = "extract(epoch FROM (now() - published_at))::double precision"
    decay = f"power(0.5::double precision, {age_s} / {half_life_days * 86400})"
    fields: dict[str, Any] = {
        "count": Count("id"),
        "total": Sum("rating"),
        "weight_sum": Sum(RawSQL(decay, ()), output_field=FloatField()),  # noqa: S611
        "weighted_total": Sum(
            RawSQL(f"rating * {decay}", ()),  # noqa: S611 (constants, no input)
            output_field=FloatField(),
        ),
        "usage_verified_count": Count("id", filter=Q(usage_verified=True)),
    }
    for star in STARS:
        fields[f"star_{star}"] = Count("id", filter=Q(rating=star))
    for name in SUB_RATINGS:
        fields[f"{name}_sum"] = Sum(name)
        fields[f"{name}_count"] = Count(name)
    return fields


def _counted(model: AIModel) -> QuerySet[Review]:
    return Review.objects.filter(
        model=model, status=ReviewStatus.PUBLISHED, conflict_of_interest=False
    )


def _summary(row: Mapping[str, Any], prior_mean: float) -> dict[str, Any]:
    prior_weight, _, z = _parameters()
    distribution = {star: row[f"star_{star}"] for star in STARS}
    inputs = RatingInputs(
        count=row["count"],
        total=row["total"] or 0,
        distribution=distribution,
        weight_sum=row["weight_sum"] or 0.0,
        weighted_total=row["weighted_total"] or 0.0,
    )
    scores = summarise(inputs, prior_mean=prior_mean, prior_weight=prior_weight, z=z, scale=1.0)
    sub_ratings = {
        name: {
            "average": row[f"{name}_sum"] / row[f"{name}_count"] if row[f"{name}_count"] else None,
            "count": row[f"{name}_count"],
        }
        for name in SUB_RATINGS
    }
    return {
        "review_count": row["count"],
        **scores,
        "distribution": {str(star): n for star, n in distribution.items()},
        "sub_ratings": sub_ratings,
        "usage_verified_count": row["usage_verified_count"],
    }


def _merged(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if key != "model_version":
                merged[key] = (merged.get(key) or 0) + (value or 0)
    return merged or {key: 0 for key in _aggregates(365)}


class NaiveRatingApi(APIView):
    """The rating summary of one model, aggregated from its reviews on every request."""

    permission_classes = [AllowAny]

    def get(self, request: Request, provider: str, model: str) -> Response:
        try:
            ai_model = AIModel.objects.only("id", "slug").get(slug=f"{provider}/{model}")
        except AIModel.DoesNotExist:
            raise Http404("no such model") from None
        _, half_life, _ = _parameters()
        rows = list(
            _counted(ai_model)
            .values("model_version")
            .order_by("model_version")
            .annotate(**_aggregates(half_life))
        )
        prior_mean = _prior_mean()
        body = _summary(_merged(rows), prior_mean)
        body["versions"] = [
            {"model_version": row["model_version"], **_summary(row, prior_mean)} for row in rows
        ]
        body["computed_at"] = dt.datetime.now(dt.UTC).isoformat()
        body["method_version"] = "naive"
        return Response(body)


class ColdModelDetailApi(ModelDetailApi):
    """The model page with a cold cache on every request: the model's generation is retired
    first (one cache write), so the page renders from the database, as after any change."""

    @staticmethod
    def direct_read(request: HttpRequest, provider: str, model: str) -> None:
        """None: no direct read (config.fast_reads), which would answer from the warm
        document before `get` retires it (one run's cold row measured a warm read: 0.48)."""
        return None

    def get(self, request: Request, provider: str, model: str) -> Any:
        generations_bump_now([model_generation(f"{provider}/{model}")])
        return super().get(request, provider, model)
