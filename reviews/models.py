"""Reviews of AI models, their revisions, helpful votes, reports and the moderation log.

The `Review` row holds what the public sees (once published). Every submitted text is also a
`ReviewRevision`; an edit of a published review waits there, as a pending revision, while the
published text stays public. `ModelRatingState` is the stale mark the rating pipeline claims;
`ModelRating` is the summary it stores, computed with the prior mean in `RatingPrior`.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from models_catalog.models import AIModel, Provider


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending moderation"
    PUBLISHED = "published", "Published (verified)"
    REJECTED = "rejected", "Rejected"
    HIDDEN = "hidden", "Hidden after reports"
    WITHDRAWN = "withdrawn", "Withdrawn by the author"


class UseCase(models.TextChoices):
    CODING = "coding", "Coding"
    DOCUMENT_REVIEW = "document_review", "Document review"
    VISION = "vision", "Vision"
    AGENTS = "agents", "Agents"
    DATA_EXTRACTION = "data_extraction", "Data extraction"
    CHAT = "chat", "Chat"
    RESEARCH = "research", "Research"
    OTHER = "other", "Other"


class UsageChannel(models.TextChoices):
    API = "api", "API"
    CHAT_APP = "chat_app", "A chat app"
    THIRD_PARTY = "third_party", "A third-party platform"


class ModerationAction(models.TextChoices):
    SUBMIT = "submit", "Submitted"
    EDIT = "edit", "Edited"
    VERIFY = "verify", "Verified"
    REJECT = "reject", "Rejected"
    HIDE = "hide", "Hidden"
    RESTORE = "restore", "Restored"
    AUTO_HIDE = "auto_hide", "Hidden automatically after an urgent report"
    REQUEUE = "requeue", "Returned to the queue after reports"
    WITHDRAW = "withdraw", "Withdrawn"
    VERIFY_USAGE = "verify_usage", "Usage verified"


SUB_RATINGS = ("quality", "speed", "value", "reliability", "integration")
USAGE_MONTHS_MAX = 600
# Stored dates are bounded by constants (a CHECK must be immutable: no now()). The recency
# weight of a review grows by 2 ** (days after 2020 / half-life): with the shortest half-life
# allowed (reviews.scoring.MIN_HALF_LIFE_DAYS) a date after about 2100 overflows a double,
# and one such row used to break every model's recompute.
DATE_MIN = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
DATE_MAX = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def date_in_range(field: str, *, nullable: bool = False) -> models.CheckConstraint:
    in_range = Q(**{f"{field}__gte": DATE_MIN, f"{field}__lt": DATE_MAX})
    condition = in_range | Q(**{f"{field}__isnull": True}) if nullable else in_range
    return models.CheckConstraint(condition=condition, name=f"%(class)s_{field}_in_range")


# Scores are floats: a weighted mean of fives may come out as 5.000000000000001.
SCORE_TOLERANCE = 1e-9


def score_in_range(field: str, low: float = 1, high: float = 5) -> models.CheckConstraint:
    """A nullable float score within [low, high] (give or take rounding); NaN is refused too
    (PostgreSQL sorts it above every number)."""
    in_range = Q(
        **{f"{field}__gte": low - SCORE_TOLERANCE, f"{field}__lte": high + SCORE_TOLERANCE}
    )
    return models.CheckConstraint(
        condition=in_range | Q(**{f"{field}__isnull": True}), name=f"%(class)s_{field}_in_range"
    )


def _rating_in_range(field: str, *, nullable: bool) -> models.CheckConstraint:
    in_range = Q(**{f"{field}__gte": 1, f"{field}__lte": 5})
    condition = in_range | Q(**{f"{field}__isnull": True}) if nullable else in_range
    return models.CheckConstraint(condition=condition, name=f"%(class)s_{field}_1_to_5")


class ReviewContent(models.Model):
    """The fields an author writes; shared by the review and each of its revisions."""

    rating = models.PositiveSmallIntegerField()
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    speed = models.PositiveSmallIntegerField(null=True, blank=True)
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    reliability = models.PositiveSmallIntegerField(null=True, blank=True)
    integration = models.PositiveSmallIntegerField(null=True, blank=True)
    title = models.CharField(max_length=120)
    body = models.TextField()
    pros = models.TextField(blank=True)
    cons = models.TextField(blank=True)
    # A short list of `UseCase` values; filtered with a JSON containment lookup on PostgreSQL.
    use_cases = models.JSONField(default=list, blank=True)
    usage_channel = models.CharField(max_length=16, choices=UsageChannel.choices, blank=True)
    usage_months = models.PositiveSmallIntegerField(null=True, blank=True)
    model_version = models.CharField(max_length=160)

    class Meta:
        abstract = True
        constraints = [
            _rating_in_range("rating", nullable=False),
            *(_rating_in_range(name, nullable=True) for name in SUB_RATINGS),
            models.CheckConstraint(
                condition=Q(usage_months__lte=USAGE_MONTHS_MAX) | Q(usage_months__isnull=True),
                name="%(class)s_usage_months_in_range",
            ),
            date_in_range("created_at"),
        ]


class Review(ReviewContent):
    # Public ids are random, not sequential: nobody can count or walk reviews by id.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    model = models.ForeignKey(AIModel, on_delete=models.PROTECT, related_name="reviews")
    status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    # Disclosed affiliation with the model's provider: shown, never counted in the rating.
    conflict_of_interest = models.BooleanField(default=False)
    usage_verified = models.BooleanField(default=False)
    helpful_count = models.PositiveIntegerField(default=0)
    not_helpful_count = models.PositiveIntegerField(default=0)
    # Wilson lower bound of the helpful share, stored so "most helpful" is an index scan.
    helpfulness = models.FloatField(default=0.0)
    has_pending_edit = models.BooleanField(default=False)
    # The last moderator outcome, what the author sees on /me/reviews/ (the audit log holds all).
    last_moderation_action = models.CharField(
        max_length=16, choices=ModerationAction.choices, blank=True
    )
    last_moderation_reason = models.CharField(max_length=32, blank=True)
    last_moderation_note = models.TextField(blank=True)
    last_moderated_at = models.DateTimeField(null=True, blank=True)
    # Set while the review waits in the moderation queue (new, appeal, pending edit or
    # reported): the queue is "queued_at is set", oldest first. Services keep it.
    queued_at = models.DateTimeField(null=True, blank=True)
    # Set when reports put a published review back in the queue (or hid it at once); cleared
    # when a moderator decides on those reports.
    flagged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Rating integrity (reviews.integrity): the surge the review arrived during, if any, and
    # whether it is held out of the rating until a moderator releases that surge's batch.
    surge = models.ForeignKey(
        "ModelSurge", on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    rating_held = models.BooleanField(default=False)
    # The author changed the public text after the provider's reply was published (set when
    # a moderator accepts such an edit): readers see "updated after the provider's reply".
    updated_after_reply = models.BooleanField(default=False)

    # Not a column: the pending revisions, set only by the selectors that prefetch them
    # (`Prefetch("revisions", ..., to_attr="pending_revisions")`).
    pending_revisions: list["ReviewRevision"]
    # Not a column: the published provider replies, set by the selectors that prefetch them
    # (`Prefetch("replies", ..., to_attr="published_replies")`).
    published_replies: list["ReviewReply"]

    class Meta(ReviewContent.Meta):
        constraints = [
            *ReviewContent.Meta.constraints,
            # One active review per person and model; withdrawn ones don't count, so a
            # person can write again after withdrawing.
            models.UniqueConstraint(
                fields=["author", "model"],
                condition=~Q(status=ReviewStatus.WITHDRAWN),
                name="review_one_active_per_author_and_model",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReviewStatus.values), name="review_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(helpfulness__gte=0) & Q(helpfulness__lte=1),
                name="review_helpfulness_0_to_1",
            ),
            date_in_range("published_at", nullable=True),
        ]
        indexes = [
            models.Index(fields=["model", "status", "-published_at"]),
            models.Index(fields=["model", "status", "-helpfulness"]),
            models.Index(fields=["model", "status", "-rating"]),
            models.Index(
                fields=["queued_at"], name="review_queue_idx", condition=Q(queued_at__isnull=False)
            ),
            # Surge detection counts a model's recent reviews (reviews.integrity.surges).
            models.Index(fields=["model", "created_at"], name="review_model_created_idx"),
        ]

    def __str__(self) -> str:
        # Names read by people (admin lists, inlines, logs): never internal ids.
        return f"“{self.title}” ({self.get_status_display().lower()})"


class ReviewRevision(ReviewContent):
    """One submitted version of a review, kept forever (the revision history)."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for moderation"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Replaced by a later edit"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(ReviewContent.Meta):
        ordering = ["review", "number"]
        constraints = [
            *ReviewContent.Meta.constraints,
            models.UniqueConstraint(fields=["review", "number"], name="revision_number_unique"),
            # At most one edit waits for moderation; a newer edit supersedes it.
            models.UniqueConstraint(
                fields=["review"],
                condition=Q(state="pending"),
                name="revision_one_pending_per_review",
            ),
        ]

    def __str__(self) -> str:
        return f"revision {self.number} ({self.get_state_display().lower()})"


class HelpfulVote(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="helpful_votes"
    )
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "voter"], name="vote_one_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.voter_id} {'+' if self.helpful else '-'} {self.review_id}"


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam"
    OFF_TOPIC = "off_topic", "Off-topic"
    ABUSIVE = "abusive", "Abusive"
    CONFLICT_OF_INTEREST = "conflict_of_interest", "Conflict of interest"
    NOT_FIRST_HAND = "not_first_hand", "Not first-hand"
    PERSONAL_DATA = "personal_data", "Personal data"
    OTHER = "other", "Other"


# Reports of these kinds hide a published review at once, until a moderator decides.
URGENT_REPORT_REASONS = frozenset({ReportReason.PERSONAL_DATA, ReportReason.ABUSIVE})


class Report(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        UPHELD = "upheld", "Upheld"
        DISMISSED = "dismissed", "Dismissed"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_reports"
    )
    reason = models.CharField(max_length=32, choices=ReportReason.choices)
    note = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "reporter"], name="report_one_per_person"),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["review", "state"]),
            models.Index(fields=["reporter", "state"]),
        ]
        # The trusted-flagger role (the EU DSA's notion), granted by moderators through the
        # `trusted_flagger` group: such a person's urgent report hides a review at once.
        permissions = [("trusted_flagger", "Urgent reports hide a review at once")]

    def __str__(self) -> str:
        return f"report: {self.get_reason_display()} ({self.get_state_display().lower()})"


class ModerationEvent(models.Model):
    """The audit log: who did what to which review, when, from and to which state, and why.

    Rows are never updated or deleted; an erased account stays as the actor (anonymised).
    `actor` is empty for actions the system took (automatic hiding after reports).
    """

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="moderation_events",
    )
    action = models.CharField(max_length=16, choices=ModerationAction.choices)
    from_status = models.CharField(max_length=16, choices=ReviewStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=ReviewStatus.choices, blank=True)
    reason = models.CharField(max_length=32, choices=ReportReason.choices, blank=True)
    note = models.TextField(blank=True)
    # The revision the action was about (submitted, edited, verified or rejected), if any.
    revision_number = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["action", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()}, {self.created_at:%d %b %Y %H:%M}"


class ModelRatingState(models.Model):
    """The rating pipeline's record that a model's rating must be recomputed.

    Written in the same transaction as the review change that made it stale, so it survives
    a lost task or a broker outage; `change_seq` lets a recompute tell whether it saw the
    newest change (stored as `ModelRating.computed_seq`).
    """

    model = models.OneToOneField(
        AIModel, on_delete=models.CASCADE, primary_key=True, related_name="rating_state"
    )
    stale = models.BooleanField(default=True)
    stale_since = models.DateTimeField(null=True, blank=True)
    change_seq = models.PositiveBigIntegerField(default=0)
    # The last recompute of this model failed (bad data): why and when; cleared by the next
    # success. The model stays stale, so the sweep retries it; others are unaffected.
    last_error = models.TextField(blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["stale", "stale_since"])]

    def __str__(self) -> str:
        return f"rating state of {self.model_id} ({'stale' if self.stale else 'fresh'})"


def _empty_distribution() -> dict[str, int]:
    return {str(star): 0 for star in range(1, 6)}


def _empty_sub_ratings() -> dict[str, dict]:
    return {name: {"average": None, "count": 0} for name in SUB_RATINGS}


class ModelRating(models.Model):
    """The stored rating summary of a model, written only by the rating pipeline
    (`reviews.ratings`) and served as is: reads never aggregate reviews.

    Counts are exact; scores are floats and null while no review counts. `computed_seq` is
    the `ModelRatingState.change_seq` the computation saw: a write with a smaller one is
    refused, so an older computation never overwrites a newer one. `versions` holds the same
    summary per reviewed model version, so one row answers every read.
    """

    model = models.OneToOneField(
        AIModel, on_delete=models.CASCADE, primary_key=True, related_name="rating"
    )
    review_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    average = models.FloatField(null=True, blank=True)
    bayesian_average = models.FloatField(null=True, blank=True)
    lower_bound = models.FloatField(null=True, blank=True)
    recent_score = models.FloatField(null=True, blank=True)
    # {"1": n, ..., "5": n}
    distribution = models.JSONField(default=_empty_distribution)
    # {"quality": {"average": x | null, "count": n}, ...} for every SUB_RATINGS name
    sub_ratings = models.JSONField(default=_empty_sub_ratings)
    usage_verified_count = models.PositiveIntegerField(default=0)
    # {"since": ISO time, "kind": "review_surge" | "report_surge"} while the model has an open
    # surge (reviews.integrity.surges), else null: the public notice, served with the summary.
    unusual_activity = models.JSONField(null=True, blank=True)
    # [{"model_version": "...", <the fields above but rating_sum>}, ...] by model_version
    versions = models.JSONField(default=list)
    # {"<use case>": {"review_count", "average", "bayesian_average", "lower_bound"}} over the
    # counted reviews tagged with that use case, for each use case that has any
    use_cases = models.JSONField(default=dict)
    computed_at = models.DateTimeField(default=timezone.now)
    computed_seq = models.PositiveBigIntegerField(default=0)
    method_version = models.CharField(max_length=32, blank=True)
    # Observability only (how many recomputes ran, e.g. during a burst); never read by rules.
    recompute_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["bayesian_average"]),
            models.Index(fields=["lower_bound"]),
            models.Index(fields=["review_count"]),
        ]
        constraints = [
            score_in_range("average"),
            score_in_range("bayesian_average"),
            score_in_range("recent_score"),
            # The Dirichlet lower bound can fall a little below the lowest star.
            score_in_range("lower_bound", 0, 5),
            models.CheckConstraint(
                condition=Q(rating_sum__lte=5 * F("review_count")), name="rating_sum_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"rating of {self.model_id}: {self.average} ({self.review_count})"


class RatingPrior(models.Model):
    """The prior mean `m` of the Bayesian averages: the site-wide mean of counted reviews.

    One row (id 1). It changes only in a full rebuild (`recompute_ratings`, and the daily
    refresh), which rewrites every summary in the same transaction, so every stored summary
    was computed with the stored prior. Until the first rebuild, the first recompute creates
    it from the reviews counted then (3.0, the middle of the scale, when there are none).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    mean = models.FloatField()
    review_count = models.PositiveIntegerField()
    # {"<use case>": mean of the counted reviews tagged with it}: the prior of the use-case
    # ratings (a use case without reviews uses `mean`)
    use_case_means = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="rating_prior_singleton"),
            models.CheckConstraint(
                condition=Q(mean__gte=1, mean__lte=5), name="rating_prior_mean_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"prior mean {self.mean:.3f} over {self.review_count} reviews"


# --- Rating integrity (reviews.integrity) ------------------------------------------------


class SurgeKind(models.TextChoices):
    REVIEW_SURGE = "review_surge", "Unusually many new reviews or new reviewer accounts"
    REPORT_SURGE = "report_surge", "Unusually many reports"


class ModelSurge(models.Model):
    """An "unusual activity" period of one model: opened by detection, closed by a moderator
    who releases its reviews into the rating or rejects them as a batch. At most one open
    surge per model (a constraint, which also settles two detections racing)."""

    class State(models.TextChoices):
        OPEN = "open", "Open: reviews held out of the rating"
        RELEASED = "released", "Released: its reviews count"
        REJECTED = "rejected", "Rejected: its reviews hidden or rejected"

    model = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="surges")
    kind = models.CharField(max_length=16, choices=SurgeKind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    since = models.DateTimeField()
    # What detection saw: counts in the window, the baseline and the threshold crossed.
    evidence = models.JSONField(default=dict)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model"], condition=Q(state="open"), name="surge_one_open_per_model"
            ),
            models.CheckConstraint(condition=Q(kind__in=SurgeKind.values), name="surge_kind_valid"),
        ]
        indexes = [models.Index(fields=["state", "since"])]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} since {self.since:%d %b %Y %H:%M} "
            f"({self.get_state_display().lower()})"
        )


class IntegrityFlag(models.Model):
    """A signal for moderators about one review, with its evidence. Flags inform; they never
    reject or hide anything by themselves."""

    class Kind(models.TextChoices):
        NEAR_DUPLICATE = "near_duplicate", "Near-duplicate of another account's review"
        ACCOUNT_RING = "account_ring", "Accounts created together reviewing the same model"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="integrity_flags")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The review that looks alike (near-duplicates) or one of the ring's reviews.
    similar_review = models.ForeignKey(
        Review, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    score = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "kind", "similar_review"], name="flag_one_per_pair"
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())


# --- Provider replies ---------------------------------------------------------------------


class ReplyStatus(models.TextChoices):
    PENDING = "pending", "Pending moderation"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    DELETED = "deleted", "Deleted by the provider"


class ReviewReply(models.Model):
    """A provider's public answer to a published review of one of its models, written by a
    member of the provider (models_catalog.ProviderMembership). Plain text; moderated before
    it is public; an edit waits for moderation again (every text is a `ReviewReplyRevision`).
    Deleting is a soft delete, after which the provider may answer again."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="replies")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="review_replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_replies"
    )
    body = models.TextField()
    status = models.CharField(
        max_length=16, choices=ReplyStatus.choices, default=ReplyStatus.PENDING
    )
    # Set while the reply waits for a moderator (the reply queue, oldest first).
    queued_at = models.DateTimeField(null=True, blank=True)
    moderation_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # First publication: the start of "time to reply" (an edit does not move it).
    first_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One reply per review and provider; a deleted one does not count.
            models.UniqueConstraint(
                fields=["review", "provider"],
                condition=~Q(status=ReplyStatus.DELETED),
                name="reply_one_per_review_and_provider",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReplyStatus.values), name="reply_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["queued_at"], name="reply_queue_idx", condition=Q(queued_at__isnull=False)
            ),
            models.Index(fields=["provider", "status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"reply of {self.provider_id} to {self.review_id} ({self.status})"


class ReviewReplyRevision(models.Model):
    """One submitted text of a reply, kept (the edit history)."""

    reply = models.ForeignKey(ReviewReply, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reply", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["reply", "number"], name="reply_revision_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"revision {self.number} of reply {self.reply_id}"


class ProviderReplyStats(models.Model):
    """How a provider answers, over the last `window_days` (computed off the request path by
    `reply_stats_refresh`, hourly): of the reviews of its models published in the window,
    how many carry its published reply, and the median time from a review's publication to
    the provider's reply. One row per provider that had reviews in the window."""

    provider = models.OneToOneField(
        Provider, on_delete=models.CASCADE, primary_key=True, related_name="reply_stats"
    )
    window_days = models.PositiveSmallIntegerField()
    reviews_published = models.PositiveIntegerField()
    reviews_replied = models.PositiveIntegerField()
    reply_rate = models.FloatField(null=True, blank=True)
    median_reply_seconds = models.PositiveIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "provider reply stats"
        constraints = [
            models.CheckConstraint(
                condition=Q(reviews_replied__lte=models.F("reviews_published")),
                name="reply_stats_replied_within_published",
            ),
        ]

    def __str__(self) -> str:
        return f"reply stats of {self.provider_id}: {self.reply_rate}"


class ModelReviewHighlights(models.Model):
    """What counted reviews say about a model: the most cited strengths and limitations
    (similar `pros` / `cons` phrases grouped) and what it is best for (use-case ratings).
    Written only by `reviews.ratings.highlights` after a recompute, off the request path;
    absent for a model with fewer than REVIEW_HIGHLIGHTS_MIN_REVIEWS counted reviews.

    strengths / limitations: [{"text", "count", "reviews": [public id, ...], "phrases"}];
    best_for: [{"use_case", "review_count", "average", "bayesian_average", "basis"}]."""

    model = models.OneToOneField(
        AIModel, on_delete=models.CASCADE, primary_key=True, related_name="review_highlights"
    )
    review_count = models.PositiveIntegerField()  # counted reviews of the model
    reviews_read = models.PositiveIntegerField()  # the newest of them, that were grouped
    strengths = models.JSONField(default=list)
    limitations = models.JSONField(default=list)
    best_for = models.JSONField(default=list)
    grouping = models.CharField(max_length=16)  # pg_trgm | trigram (the SQLite fallback)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "model review highlights"
        constraints = [
            models.CheckConstraint(
                condition=Q(reviews_read__lte=F("review_count")),
                name="highlights_read_within_count",
            ),
        ]

    def __str__(self) -> str:
        return f"review highlights of {self.model_id}"
