"""Which models' ranks a stored rating moved: only their ranks documents are retired.

A model's ranks (`GET /models/{slug}/ranks/`) show, per category and measure, its place
(standard competition ranking: 1 + the number of models strictly better) and the number of
models ranked. The ratings take part through the ranked rating measures (`RANKED_MEASURES`,
registered in reviews.registrations) and the use-case ranks (`use_case_rank_list`). So a
change of model M's values moves the ranks of model X != M only if

- M crossed X: `M better than X` differs before and after (X's value between M's old and new
  value), which decides it in every category too, since a category only narrows the models
  compared; or
- M became ranked or stopped being ranked on a measure: every model ranked on it shows a new
  total.

M's own ranks are always retired. The test is pairwise, and the comparisons of concurrent
stores are serialized (`_compare_serialize`) so that each sees the values the stores before
it committed: X's ranks move in the end only through a crossing or a total that one of the
stores saw, or because X itself changed, whose own store retires them.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import connection

from config.locks import lock_key
from reviews.models import ModelRating

# The rating measures ranks/ ranks by (reviews.registrations: `ranked` and higher is better).
RANKED_MEASURES = ("bayesian_average", "lower_bound")
# Beyond this many models stored at once (a full rebuild), every model's ranks are retired:
# the pairwise test would cost more than the documents it keeps.
PAIRWISE_LIMIT = 50

Scores = dict[str, float]  # ranked name -> value, only where the model is ranked


def _use_case_scores(use_cases: Mapping[str, Any]) -> Scores:
    """The use-case scores a model is ranked by, as `use_case_rank_list` selects them."""
    minimum = settings.RATING_USE_CASE_MIN_REVIEWS
    return {
        f"use_case:{name}": summary["lower_bound"]
        for name, summary in use_cases.items()
        if summary["review_count"] >= minimum and summary["lower_bound"] is not None
    }


def rank_scores(values: Mapping[str, Any]) -> Scores:
    """Every value a model is ranked by, from its summary's values (stored or computed)."""
    scores = {name: values[name] for name in RANKED_MEASURES if values[name] is not None}
    return {**scores, **_use_case_scores(values["use_cases"] or {})}


def _moved_by(old: Scores, new: Scores, others: dict[int, Scores]) -> set[int]:
    moved = set()
    for name in old.keys() | new.keys():
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        ranked = {pk for pk, scores in others.items() if name in scores}
        if before is None or after is None:  # ranked or unranked: every total changed
            moved |= ranked
            continue
        moved |= {pk for pk in ranked if (before > others[pk][name]) != (after > others[pk][name])}
    return moved


def _compare_serialize() -> None:
    """One storing transaction at a time from here to its commit. Without it, two stores
    committing together each compared with the other's old value: N (1 -> 5) and M (3 -> 6)
    each saw no crossing of the other, a ranks page of N rendered between the two commits
    (N above M) was kept, and M's store did not retire it. Serialized, the second store reads
    the first's committed value (READ COMMITTED: each statement sees what committed before
    it) and retires what its own change crossed. Taken after the row locks and held to
    commit; nothing locks rows after it, so it cannot deadlock with them."""
    if connection.vendor != "postgresql":
        return  # SQLite (`make run`) serializes every writing transaction anyway
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key("reviews.ranks_compare")])


def ranks_moved(changes: Sequence[tuple[int, Scores, Scores]]) -> set[int]:
    """The models whose ranks the changes `(model_id, old scores, new scores)` moved, the
    changed models included. Reads every stored summary's scores (one query) after the new
    ones were written, inside the storing transaction."""
    changed = {model_id for model_id, old, new in changes if old != new}
    if not changed:
        return {model_id for model_id, _, _ in changes}
    if len(changes) > PAIRWISE_LIMIT:
        return set(ModelRating.objects.values_list("model_id", flat=True))
    _compare_serialize()
    others = dict(_stored_scores())
    moved = {model_id for model_id, _, _ in changes}
    for _, old, new in changes:
        moved |= _moved_by(old, new, others)
    return moved


def _stored_scores() -> Iterable[tuple[int, Scores]]:
    rows = ModelRating.objects.values_list("model_id", *RANKED_MEASURES, "use_cases")
    for model_id, *values, use_cases in rows:
        stored = dict(zip(RANKED_MEASURES, values, strict=True))
        yield model_id, rank_scores({**stored, "use_cases": use_cases})
