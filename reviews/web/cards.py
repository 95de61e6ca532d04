"""What the workbench shows of one review: a "card" built from a review the moderation
selectors preloaded (no query per card, except the reporters' standing: one per page).

Everything here is for people: labels, names and sentences, never a code or an id.
"""

from dataclasses import dataclass, field
from itertools import groupby

from accounts.models import User
from reviews.integrity.standing import (
    ReporterStanding,
    account_age_bucket,
    author_published_reviews,
    reporter_standings,
)
from reviews.models import (
    SUB_RATINGS,
    IntegrityFlag,
    ModelSurge,
    Report,
    ReportReason,
    Review,
    ReviewContent,
    ReviewRevision,
    ReviewStatus,
)
from reviews.selectors import review_waiting_for
from reviews.web.diff import (
    FieldDiff,
    ValueChange,
    stars,
    text_diffs,
    usage_label,
    use_cases_label,
    value_changes,
)

WAITING_LABELS = {
    "review": "New review",
    "edit": "Edit of a published review",
    "reports": "Reported",
}
REASONS = dict(ReportReason.choices)


def person(user: User | None) -> str:
    """A person's name as moderators read it: display name, else username."""
    return "the system" if user is None else str(user)


@dataclass(frozen=True)
class ReportRow:
    reporter: User
    note: str
    created_at: object
    standing: ReporterStanding | None

    @property
    def standing_label(self) -> str:
        s = self.standing
        if s is None:
            return ""
        verdict = "has standing" if s.has_standing else "no standing"
        return (
            f"{verdict}: account {s.account_days} days old, {s.published_reviews} published "
            f"reviews, {s.upheld_reports} reports upheld, {s.dismissed_reports} dismissed"
        )


@dataclass(frozen=True)
class ReportGroup:
    reason: str
    reports: list[ReportRow]


@dataclass(frozen=True)
class FlagRow:
    label: str
    similar: Review | None
    score: str
    details: str


@dataclass
class Card:
    review: Review
    waiting: list[str]
    revision: ReviewRevision | None
    shown: ReviewContent
    is_edit: bool
    texts: list[FieldDiff] = field(default_factory=list)
    values: list[ValueChange] = field(default_factory=list)
    report_groups: list[ReportGroup] = field(default_factory=list)
    flags: list[FlagRow] = field(default_factory=list)
    author_facts: list[str] = field(default_factory=list)
    surge: ModelSurge | None = None

    @property
    def revision_number(self) -> int:
        """Posted back with every action: the revision this page showed (0: none waited)."""
        return self.revision.number if self.revision is not None else 0

    @property
    def status_label(self) -> str:
        return str(ReviewStatus(self.review.status).label)

    @property
    def can_verify(self) -> bool:
        return bool(self.waiting) and self.review.status in (
            ReviewStatus.PENDING,
            ReviewStatus.PUBLISHED,
        )

    @property
    def can_reject(self) -> bool:
        return self.review.status == ReviewStatus.PENDING or self.is_edit

    @property
    def can_hide(self) -> bool:
        r = self.review
        return r.status == ReviewStatus.PUBLISHED or (
            r.status == ReviewStatus.HIDDEN and r.flagged_at is not None
        )

    @property
    def can_restore(self) -> bool:
        return self.review.status == ReviewStatus.HIDDEN

    @property
    def facts(self) -> list[tuple[str, str]]:
        """The shown text's ratings and facts, in reading order."""
        shown = self.shown
        rows = [("stars", stars(shown.rating))]  # the API's name for a review's score
        rows += [(name, stars(getattr(shown, name))) for name in _set_sub_ratings(shown)]
        rows += [
            ("use cases", use_cases_label(shown.use_cases)),
            ("usage", usage_label(shown)),
            ("model version", shown.model_version),
        ]
        return rows


def _set_sub_ratings(content: ReviewContent) -> list[str]:
    return [name for name in SUB_RATINGS if getattr(content, name) is not None]


def _author_facts(review: Review) -> list[str]:
    author = review.author
    published = author_published_reviews(review)
    facts = [
        f"account {account_age_bucket(author.date_joined)} old "
        f"(joined {author.date_joined:%d %b %Y})",
        f"{published} published review{'s' if published != 1 else ''}",
    ]
    if review.conflict_of_interest:
        facts.append("works for the model's provider (conflict of interest)")
    if review.usage_verified:
        facts.append("usage verified")
    return facts


def _flag_row(flag: IntegrityFlag) -> FlagRow:
    label = str(IntegrityFlag.Kind(flag.kind).label)
    score = f"{flag.score:.0%} alike" if flag.score is not None else ""
    evidence = flag.evidence or {}
    if flag.kind == IntegrityFlag.Kind.NEAR_DUPLICATE:
        details = "same author" if evidence.get("same_author") else "another account"
    else:
        details = (
            f"{evidence.get('accounts', '?')} accounts created within "
            f"{evidence.get('joined_within_seconds', '?')} seconds of each other"
        )
    return FlagRow(label=label, similar=flag.similar_review, score=score, details=details)


def _report_groups(
    reports: list[Report], standings: dict[int, ReporterStanding]
) -> list[ReportGroup]:
    ordered = sorted(reports, key=lambda r: (r.reason, r.created_at))
    return [
        ReportGroup(
            reason=str(REASONS.get(reason, reason)),
            reports=[
                ReportRow(r.reporter, r.note, r.created_at, standings.get(r.reporter_id))
                for r in group
            ],
        )
        for reason, group in groupby(ordered, key=lambda r: r.reason)
    ]


def _open_reports(review: Review) -> list[Report]:
    # Preloaded by the moderation selectors (`Prefetch(..., to_attr="open_reports")`).
    return getattr(review, "open_reports", [])


def card_build(review: Review, standings: dict[int, ReporterStanding]) -> Card:
    flags: list[IntegrityFlag] = getattr(review, "flags", [])  # preloaded likewise
    waiting = review_waiting_for(review)
    revision = review.pending_revisions[0] if review.pending_revisions else None
    is_edit = "edit" in waiting and revision is not None
    card = Card(
        review=review,
        waiting=[WAITING_LABELS[name] for name in waiting],
        revision=revision,
        shown=revision if revision is not None else review,
        is_edit=is_edit,
        report_groups=_report_groups(_open_reports(review), standings),
        flags=[_flag_row(flag) for flag in flags],
        author_facts=_author_facts(review),
        surge=review.surge,
    )
    if review.surge is not None and review.surge.state == ModelSurge.State.OPEN:
        card.waiting.append("In a surge (held out of the rating)")
    if is_edit and revision is not None:
        card.texts = text_diffs(review, revision)
        card.values = value_changes(review, revision)
    return card


def cards_build(reviews: list[Review]) -> list[Card]:
    """Cards for a page of reviews; the reporters' standing in one query for the page."""
    reporter_ids = {r.reporter_id for review in reviews for r in _open_reports(review)}
    standings = reporter_standings(reporter_ids) if reporter_ids else {}
    return [card_build(review, standings) for review in reviews]
