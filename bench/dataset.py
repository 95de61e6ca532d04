"""The synthetic review set: pure Python, deterministic for a seed, no database.

Shape, chosen to look like a review site rather than a uniform table:
- reviews spread over models by a power law (Zipf, s = 1: the k-th most reviewed model has
  about 1/k of the top one's reviews), except three "ladder" models that get exactly 0.1 %,
  1 % and 10 % of the reviews (1k, 10k and 100k at the default million), so the cost of one
  model's recompute can be read against its size;
- a status mix of 80 % published, 10 % pending, 5 % rejected, 3 % hidden, 2 % withdrawn;
  3 % disclose a conflict of interest, 10 % have verified usage;
- stars skewed toward 4 and 5, each model with its own tilt, so averages differ;
- creation times over the last two years, growing toward now, ids in creation order and the
  models interleaved (as rows arrive on a live site, not clustered by model);
- each (author, model) pair at most once, so the "one active review per author and model"
  constraint holds for every status, withdrawn included.
"""

import csv
import datetime as dt
import json
import math
import random
import uuid
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATUS_MIX: dict[str, float] = {
    "published": 0.80,
    "pending": 0.10,
    "rejected": 0.05,
    "hidden": 0.03,
    "withdrawn": 0.02,
}
CONFLICT_SHARE = 0.03
USAGE_VERIFIED_SHARE = 0.10
LADDER_FRACTIONS = (0.001, 0.01, 0.1)
# Base star weights (1..5) before each model's tilt: mean about 3.9, as on most review sites.
STAR_WEIGHTS = (0.06, 0.07, 0.14, 0.33, 0.40)
SUB_RATINGS = ("quality", "speed", "value", "reliability", "integration")
SUB_RATING_SHARE = 0.6
HISTORY_DAYS = 730
USE_CASES = ("coding", "document_review", "vision", "agents", "data_extraction", "chat", "research")
CHANNELS = ("api", "chat_app", "third_party", "")
REJECT_REASONS = ("spam", "off_topic", "not_first_hand")
HIDE_REASONS = ("abusive", "spam", "personal_data")


@dataclass(frozen=True)
class ModelRef:
    """What the generator needs of a catalog model."""

    id: int
    slug: str
    version_slug: str = ""


@dataclass(frozen=True)
class DatasetSpec:
    reviews: int
    seed: int = 20261129
    zipf_s: float = 1.0
    # Users: about four reviews each on average, never fewer than the largest model needs.
    reviews_per_user: float = 4.0
    ladder_fractions: tuple[float, ...] = LADDER_FRACTIONS
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass(frozen=True)
class Plan:
    """Who reviews what: one entry per review, in id order (ids are 1..N)."""

    counts: list[int]  # reviews per model index
    ladder: list[int]  # model indexes of the ladder models, smallest first
    model_of: array  # model index of review i (0-based position)
    author_of: array  # author number of review i, 0..users-1
    users: int


def model_counts(n_models: int, spec: DatasetSpec) -> tuple[list[int], list[int]]:
    """Reviews per model index (summing to `spec.reviews`) and the ladder's indexes.

    The ladder takes indexes 0.. and exact shares; the rest follow Zipf by index, rounded by
    largest remainder so the total is exact."""
    ladder_n = min(len(spec.ladder_fractions), max(n_models - 1, 0))
    ladder_counts = [round(spec.reviews * f) for f in spec.ladder_fractions[:ladder_n]]
    rest = spec.reviews - sum(ladder_counts)
    zipf_models = n_models - ladder_n
    weights = [1 / (rank**spec.zipf_s) for rank in range(1, zipf_models + 1)]
    total = sum(weights)
    exact = [rest * w / total for w in weights]
    floors = [math.floor(x) for x in exact]
    short = rest - sum(floors)
    by_remainder = sorted(range(zipf_models), key=lambda i: exact[i] - floors[i], reverse=True)
    for i in by_remainder[:short]:
        floors[i] += 1
    return ladder_counts + floors, list(range(ladder_n))


def plan(n_models: int, spec: DatasetSpec) -> Plan:
    """Assign every review a model and an author; (author, model) pairs are unique."""
    rng = random.Random(spec.seed)
    counts, ladder = model_counts(n_models, spec)
    users = max(math.ceil(spec.reviews / spec.reviews_per_user), max(counts, default=0), 1)
    model_of = array("i")
    author_of = array("i")
    for index, count in enumerate(counts):
        model_of.extend([index] * count)
        # Distinct authors within a model: each pair occurs once.
        author_of.extend(rng.sample(range(users), count))
    order = list(range(spec.reviews))
    rng.shuffle(order)
    return Plan(
        counts=counts,
        ladder=ladder,
        model_of=array("i", (model_of[i] for i in order)),
        author_of=array("i", (author_of[i] for i in order)),
        users=users,
    )


class Texts:
    """Review texts by star: the hotel-review CSV when present, else generated sentences."""

    def __init__(self, by_star: dict[int, list[str]], source: str) -> None:
        self.by_star = by_star
        self.source = source

    @classmethod
    def load(cls, csv_path: Path | None) -> "Texts":
        if csv_path is not None and csv_path.is_file():
            by_star: dict[int, list[str]] = {star: [] for star in range(1, 6)}
            with csv_path.open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    text = " ".join(row["Review"].split())
                    if text and row["Rating"].strip() in {"1", "2", "3", "4", "5"}:
                        by_star[int(row["Rating"])].append(text)
            if all(by_star.values()):
                return cls(by_star, f"{csv_path.name} (drawn by star, not copied)")
        return cls(_generated_texts(), "generated")

    def pick(self, rng: random.Random, star: int) -> tuple[str, str]:
        body = rng.choice(self.by_star[star])
        words = body.split()[:8]
        title = " ".join(words).capitalize()[:120] or "Review"
        return title, body


_OPENERS = {
    1: "Unusable for our work.",
    2: "Disappointing in practice.",
    3: "Mixed results over several weeks.",
    4: "Solid model for daily work.",
    5: "Excellent, our default now.",
}
_DETAILS = (
    "Latency was {adj} under load and the context window held long documents.",
    "Tool calls were {adj} and the JSON output needed {fix} fixes.",
    "Pricing per million tokens felt {adj} against the alternatives we tried.",
    "Code suggestions were {adj}; reviews of pull requests caught {fix} issues.",
    "Extraction from scanned invoices was {adj} with {fix} manual corrections.",
)
_ADJ = {1: "poor", 2: "uneven", 3: "acceptable", 4: "good", 5: "excellent"}
_FIX = {1: "constant", 2: "frequent", 3: "occasional", 4: "rare", 5: "almost no"}


def _generated_texts() -> dict[int, list[str]]:
    by_star: dict[int, list[str]] = {}
    for star in range(1, 6):
        texts = []
        for first in range(len(_DETAILS)):
            for second in range(len(_DETAILS)):
                if first == second:
                    continue
                details = " ".join(
                    _DETAILS[i].format(adj=_ADJ[star], fix=_FIX[star]) for i in (first, second)
                )
                texts.append(f"{_OPENERS[star]} {details}")
        by_star[star] = texts
    return by_star


def _weighted(rng: random.Random, options: Sequence[Any], cum_weights: Sequence[float]) -> Any:
    return rng.choices(options, cum_weights=cum_weights)[0]


def _cumulative(weights: Iterable[float]) -> list[float]:
    out, total = [], 0.0
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _star_weights(rng: random.Random) -> list[float]:
    tilt = rng.uniform(-0.6, 0.6)  # each model its own quality: averages from ~3.3 to ~4.4
    return _cumulative([w * math.exp(tilt * (star - 3)) for star, w in enumerate(STAR_WEIGHTS, 1)])


def _creation_times(rng: random.Random, n: int, now: dt.datetime) -> list[dt.datetime]:
    """n sorted times over the last HISTORY_DAYS, denser toward now (a growing site)."""
    start = now - dt.timedelta(days=HISTORY_DAYS)
    span = (HISTORY_DAYS * 86400) - 3600
    offsets = sorted(span * math.sqrt(rng.random()) for _ in range(n))
    return [start + dt.timedelta(seconds=s) for s in offsets]


def _sub_ratings(rng: random.Random, star: int) -> dict[str, int | None]:
    if rng.random() >= SUB_RATING_SHARE:
        return dict.fromkeys(SUB_RATINGS)
    return {name: min(5, max(1, star + rng.choice((-1, 0, 0, 1)))) for name in SUB_RATINGS}


def _moderation(
    rng: random.Random, status: str, created: dt.datetime, now: dt.datetime
) -> dict[str, Any]:
    """Publication and the last moderator outcome, consistent with the status."""
    decided = min(created + dt.timedelta(minutes=rng.uniform(5, 2 * 24 * 60)), now)
    out: dict[str, Any] = {
        "published_at": None,
        "queued_at": None,
        "last_moderation_action": "",
        "last_moderation_reason": "",
        "last_moderated_at": None,
        "updated_at": created,
    }
    if status == "pending":
        out["queued_at"] = created
    elif status in ("published", "hidden", "withdrawn"):
        out.update(published_at=decided, last_moderation_action="verify", last_moderated_at=decided)
        out["updated_at"] = decided
        if status == "hidden":
            hidden = min(decided + dt.timedelta(days=rng.uniform(0, 30)), now)
            out.update(
                last_moderation_action="hide",
                last_moderation_reason=rng.choice(HIDE_REASONS),
                last_moderated_at=hidden,
                updated_at=hidden,
            )
    elif status == "rejected":
        out.update(
            last_moderation_action="reject",
            last_moderation_reason=rng.choice(REJECT_REASONS),
            last_moderated_at=decided,
            updated_at=decided,
        )
    return out


def review_rows(
    spec: DatasetSpec, models: Sequence[ModelRef], the_plan: Plan, texts: Texts
) -> Iterator[dict[str, Any]]:
    """One dict per review, in id order, keyed by `reviews.Review` field attnames."""
    rng = random.Random(spec.seed + 1)
    star_cum = [_star_weights(rng) for _ in models]
    status_names = list(STATUS_MIX)
    status_cum = _cumulative(STATUS_MIX.values())
    stars = (1, 2, 3, 4, 5)
    times = _creation_times(rng, spec.reviews, spec.now)
    for position in range(spec.reviews):
        model_index = the_plan.model_of[position]
        model = models[model_index]
        status = _weighted(rng, status_names, status_cum)
        star = _weighted(rng, stars, star_cum[model_index])
        title, body = texts.pick(rng, star)
        created = times[position]
        version = model.version_slug or model.slug
        row: dict[str, Any] = {
            "id": position + 1,
            "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "author_id": the_plan.author_of[position] + 1,
            "model_id": model.id,
            "status": status,
            "rating": star,
            **_sub_ratings(rng, star),
            "title": title,
            "body": body,
            "pros": "",
            "cons": "",
            "use_cases": json.dumps(rng.sample(USE_CASES, rng.randint(1, 2))),
            "usage_channel": rng.choice(CHANNELS),
            "usage_months": rng.randint(1, 24) if rng.random() < 0.7 else None,
            "model_version": version if rng.random() < 0.85 else model.slug,
            "conflict_of_interest": rng.random() < CONFLICT_SHARE,
            "usage_verified": rng.random() < USAGE_VERIFIED_SHARE,
            "created_at": created,
            **_moderation(rng, status, created, spec.now),
        }
        yield row


def user_rows(spec: DatasetSpec, users: int) -> Iterator[dict[str, Any]]:
    """The reviewers, ids 1..users, keyed by `accounts.User` attnames. They cannot log in
    (unusable password) and have no allauth email record: the bench never signs them in."""
    start = spec.now - dt.timedelta(days=HISTORY_DAYS + 30)
    step = dt.timedelta(seconds=(HISTORY_DAYS * 86400) / max(users, 1))
    for number in range(1, users + 1):
        yield {
            "id": number,
            "password": "!bench-unusable",
            "username": f"bench-{number}",
            "email": f"bench-{number}@example.org",
            "display_name": f"Reviewer {number}",
            "date_joined": start + step * number,
        }
