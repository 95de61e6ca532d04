"""What reviewers say: strengths, limitations and "best for", drawn from counted reviews.

Computed after a model's rating is recomputed (`review_highlights_refresh_task`, published
by `rating_recompute_task`; the daily rebuild refreshes every model), stored in
`ModelReviewHighlights`, and served with the model page as stored: reads never group.
Only for a model with at least REVIEW_HIGHLIGHTS_MIN_REVIEWS counted reviews (the same
counted reviews as the rating: `summary.counted_reviews`); below that, no row.

Phrases. Each review's `pros` and `cons` are cut into phrases at line breaks, bullets,
semicolons, commas and sentence ends ("Fast, cheap; great at code" -> three phrases). The
newest REVIEW_HIGHLIGHTS_MAX_REVIEWS counted reviews are read, which bounds the work.

Grouping. Similar phrases are grouped by trigram similarity (pg_trgm's `similarity()`:
shared trigrams of the words over all trigrams of both). Distinct phrases (case and spacing
ignored) are taken most cited first (then shortest); each joins the first group holding a
phrase at least REVIEW_HIGHLIGHTS_SIMILARITY similar to it, or starts a group, whose first
phrase (the most cited, shortest) names the group. A group counts the distinct
reviews that cite any of its phrases, and is shown from REVIEW_HIGHLIGHTS_MIN_CITATIONS on,
most cited first (REVIEW_HIGHLIGHTS_MAX_POINTS of them), with links to those reviews.
On PostgreSQL the similarities come from pg_trgm in one query; on SQLite (`make run` on
defaults, which has no pg_trgm) from `trigram_similarity` below, a port of pg_trgm's
algorithm (lower case, words of letters and digits, each padded with two spaces before and
one after): the same scores, computed in Python. The stored row says which ran.

Best for. The use cases of the model's stored rating (`ModelRating.use_cases`) with at
least RATING_USE_CASE_MIN_REVIEWS counted reviews, best Bayesian average first (basis
`use_case_rating`); while none has that many, the use cases counted reviews are tagged with
most often, from REVIEW_HIGHLIGHTS_MIN_CITATIONS tags on (basis `tag_count`).
"""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from config.enqueue import publish, task_name
from models_catalog.models import AIModel
from models_catalog.services import model_documents_invalidate
from reviews.models import ModelRating, ModelReviewHighlights, UseCase
from reviews.ratings.summary import counted_reviews

REVIEW_HIGHLIGHTS_TASK = task_name("reviews.tasks.review_highlights_refresh_task")
MAX_PHRASES = 300  # distinct phrases grouped per side: bounds the pairwise comparison
MAX_PHRASE_LENGTH = 120
MIN_PHRASE_LENGTH = 3
REVIEW_LINKS = 10  # reviews linked per group
VARIANTS = 5  # phrasings shown per group
BEST_FOR_SHOWN = 3
_SPLIT = re.compile(r"[\n\r;•·|]+|,\s+|(?<=[.!?])\s+")
_TRIM = " \t-*\u2013\u2014.!?:\"'()"  # with en and em dashes
_WORDS = re.compile(r"[^\W_]+")


def phrases_of(text: str) -> list[str]:
    """The phrases of a `pros` or `cons` text, trimmed, in order, without repeats."""
    found: list[str] = []
    for part in _SPLIT.split(text or ""):
        phrase = " ".join(part.split()).strip(_TRIM)
        if MIN_PHRASE_LENGTH <= len(phrase) <= MAX_PHRASE_LENGTH and phrase not in found:
            found.append(phrase)
    return found


def _trigrams(text: str) -> set[str]:
    grams: set[str] = set()
    for word in _WORDS.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's `similarity(a, b)` computed in Python (the SQLite fallback)."""
    first, second = _trigrams(a), _trigrams(b)
    union = first | second
    return len(first & second) / len(union) if union else 0.0


# How similar phrases are grouped (the stored `grouping`): PostgreSQL's pg_trgm, or the same
# trigram measure in Python on SQLite.
GROUPING_METHODS = ("pg_trgm", "trigram")


def _similar_pairs(texts: Sequence[str], threshold: float) -> tuple[set[tuple[int, int]], str]:
    """Index pairs (i < j) at least `threshold` similar, and the method that found them."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT a.i, b.j FROM unnest(%s::text[]) WITH ORDINALITY AS a(t, i) "
            "JOIN unnest(%s::text[]) WITH ORDINALITY AS b(t, j) ON a.i < b.j "
            "WHERE similarity(a.t, b.t) >= %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(texts), list(texts), threshold])
            return {(int(i) - 1, int(j) - 1) for i, j in cursor.fetchall()}, "pg_trgm"
    pairs = {
        (i, j)
        for i in range(len(texts))
        for j in range(i + 1, len(texts))
        if trigram_similarity(texts[i], texts[j]) >= threshold
    }
    return pairs, "trigram"


@dataclass
class _Phrase:
    text: str  # as first written
    reviews: list[uuid.UUID] = field(default_factory=list)


def phrase_groups(
    cited: Sequence[tuple[str, uuid.UUID]], *, threshold: float
) -> tuple[list[dict[str, Any]], str]:
    """Group (phrase, review id) citations (see the module docstring): every group, most
    cited first, as stored; and the similarity method used."""
    distinct: dict[str, _Phrase] = {}
    for text, review_id in cited:
        entry = distinct.setdefault(" ".join(text.lower().split()), _Phrase(text))
        if review_id not in entry.reviews:
            entry.reviews.append(review_id)
    ordered = sorted(distinct.items(), key=lambda kv: (-len(kv[1].reviews), len(kv[0]), kv[0]))[
        :MAX_PHRASES
    ]
    pairs, method = _similar_pairs([key for key, _ in ordered], threshold)
    groups: list[list[int]] = []
    for index in range(len(ordered)):
        home = next((g for g in groups if any((m, index) in pairs for m in g)), None)
        if home is None:
            groups.append([index])
        else:
            home.append(index)
    result: list[dict[str, Any]] = []
    for members in groups:
        reviews: list[uuid.UUID] = []
        for index in members:
            reviews += [r for r in ordered[index][1].reviews if r not in reviews]
        result.append({
            "text": ordered[members[0]][1].text,
            "count": len(reviews),
            "reviews": [str(r) for r in reviews[:REVIEW_LINKS]],
            "phrases": [ordered[i][1].text for i in members[:VARIANTS]],
        })  # fmt: skip
    result.sort(key=lambda g: (-g["count"], g["text"].lower()))
    return result, method


def _shown(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    minimum = settings.REVIEW_HIGHLIGHTS_MIN_CITATIONS
    return [g for g in groups if g["count"] >= minimum][: settings.REVIEW_HIGHLIGHTS_MAX_POINTS]


def best_for_of(
    rating: ModelRating | None, tags: Sequence[tuple[list[Any], int]]
) -> list[dict[str, Any]]:
    """Use cases the model is best for (see the module docstring). `tags`: each counted
    review's (use_cases, rating)."""
    minimum = settings.RATING_USE_CASE_MIN_REVIEWS
    rated = [
        (name, s) for name, s in (rating.use_cases if rating else {}).items()
        if s["review_count"] >= minimum and s["bayesian_average"] is not None
    ]  # fmt: skip
    if rated:
        rated.sort(key=lambda item: (-item[1]["bayesian_average"], item[0]))
        return [
            {"use_case": name, "review_count": s["review_count"], "average": s["average"],
             "bayesian_average": s["bayesian_average"], "basis": "use_case_rating"}
            for name, s in rated[:BEST_FOR_SHOWN]
        ]  # fmt: skip
    counts: dict[str, list[int]] = {}
    for use_cases, stars in tags:
        for name in set(use_cases if isinstance(use_cases, list) else []):
            if name in UseCase.values:
                counts.setdefault(name, []).append(stars)
    tagged = [
        (name, stars) for name, stars in counts.items()
        if len(stars) >= settings.REVIEW_HIGHLIGHTS_MIN_CITATIONS
    ]  # fmt: skip
    tagged.sort(key=lambda item: (-len(item[1]), item[0]))
    return [
        {"use_case": name, "review_count": len(stars), "average": sum(stars) / len(stars),
         "bayesian_average": None, "basis": "tag_count"}
        for name, stars in tagged[:BEST_FOR_SHOWN]
    ]  # fmt: skip


def _compute(model_id: int, count: int) -> dict[str, Any]:
    rows = list(
        counted_reviews()
        .filter(model_id=model_id)
        .order_by("-published_at", "-pk")
        .values_list("public_id", "pros", "cons", "use_cases", "rating")[
            : settings.REVIEW_HIGHLIGHTS_MAX_REVIEWS
        ]
    )
    threshold = settings.REVIEW_HIGHLIGHTS_SIMILARITY
    pros = [(p, public_id) for public_id, text, *_ in rows for p in phrases_of(text)]
    cons = [(p, public_id) for public_id, _, text, *_ in rows for p in phrases_of(text)]
    strengths, method = phrase_groups(pros, threshold=threshold)
    limitations, _ = phrase_groups(cons, threshold=threshold)
    rating = ModelRating.objects.filter(pk=model_id).first()
    return {
        "review_count": count,
        "reviews_read": len(rows),
        "strengths": _shown(strengths),
        "limitations": _shown(limitations),
        "best_for": best_for_of(rating, [(r[3], r[4]) for r in rows]),
        "grouping": method,
    }


@transaction.atomic
def review_highlights_refresh(model_id: int) -> bool:
    """Recompute and store what counted reviews say about the model (idempotent: from the
    reviews, nothing incremented); remove it below the minimum. True when what the model
    page shows changed (its documents are then invalidated)."""
    if not AIModel.objects.filter(pk=model_id).exists():
        return False
    stored = ModelReviewHighlights.objects.select_for_update().filter(pk=model_id).first()
    count = counted_reviews().filter(model_id=model_id).count()
    if count < settings.REVIEW_HIGHLIGHTS_MIN_REVIEWS:
        if stored is None:
            return False
        stored.delete()
        model_documents_invalidate([model_id])
        return True
    values = _compute(model_id, count)
    if stored is not None and all(getattr(stored, k) == v for k, v in values.items()):
        return False
    ModelReviewHighlights.objects.update_or_create(
        model_id=model_id, defaults={**values, "computed_at": timezone.now()}
    )
    model_documents_invalidate([model_id])
    return True


def review_highlights_refresh_all() -> int:
    """Refresh every model that has highlights or enough counted reviews (the daily
    rebuild). Returns how many changed."""
    minimum = settings.REVIEW_HIGHLIGHTS_MIN_REVIEWS
    rated = ModelRating.objects.filter(review_count__gte=minimum).values_list("pk", flat=True)
    stored = ModelReviewHighlights.objects.values_list("pk", flat=True)
    return sum(review_highlights_refresh(pk) for pk in sorted({*rated, *stored}))


def review_highlights_enqueue(model_id: int) -> bool:
    """Publish the refresh of one model (after its rating was recomputed); never raises.
    A lost message is repaired by the next recompute or the daily rebuild."""
    return publish(REVIEW_HIGHLIGHTS_TASK, (model_id,))
