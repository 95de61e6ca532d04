"""Reads of the reviews app: public lists, one review, the author's own, the moderation queue,
the audit log and the person's sections of the personal-data export.

Side-effect free. List selectors preload every relation their API output reads, so the
number of queries does not grow with the page size.
"""

import uuid
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts.models import User
from models_catalog.api.references import model_reference, provider_reference
from models_catalog.exceptions import ProviderNotFound
from models_catalog.memberships import membership_get
from models_catalog.models import AIModel, ModelAlias, Provider
from reviews.exceptions import ReplyNotFound, ReportNotFound, ReviewNotFound
from reviews.integrity.standing import with_reviewer_facts
from reviews.models import (
    SUB_RATINGS,
    HelpfulVote,
    IntegrityFlag,
    ModerationEvent,
    ProviderReplyStats,
    ReplyStatus,
    Report,
    Review,
    ReviewContent,
    ReviewReply,
    ReviewReplyRevision,
    ReviewRevision,
    ReviewStatus,
)

# Window of the provider reply figures (reviews.services.reply_stats uses the same).
REPLY_STATS_WINDOW_DAYS = 90

# `?ordering=` of the public list (the API's one idiom: a key, `-` for descending) -> the
# ordering. Each ends in `id`, so every row has a unique position and the keyset cursor
# never skips or repeats a review.
REVIEW_ORDERINGS: dict[str, tuple[str, ...]] = {
    "-published_at": ("-published_at", "-id"),
    "published_at": ("published_at", "id"),
    "-helpfulness": ("-helpfulness", "-published_at", "-id"),
    "-stars": ("-rating", "-published_at", "-id"),  # a review's stars: its `rating` column
    "stars": ("rating", "-published_at", "-id"),
}
QUEUE_ORDERING = ("queued_at", "id")
# What a queue item can wait for, in the order moderators read them.
WAITING_REASONS = ("review", "edit", "reports")


def review_waiting_for(review: Review) -> list[str]:
    """Why the review is in the moderation queue: `review` (a new text or an appeal), `edit`
    (an edit of the published text) and/or `reports` (open reports nobody decided on).
    Empty when nothing waits. The one definition the queue's service and API both use."""
    waiting = {
        "review": review.status == ReviewStatus.PENDING,
        "edit": review.status == ReviewStatus.PUBLISHED and review.has_pending_edit,
        "reports": review.flagged_at is not None,
    }
    return [name for name in WAITING_REASONS if waiting[name]]


def _pending_revisions() -> Prefetch:
    pending = ReviewRevision.objects.filter(state=ReviewRevision.State.PENDING)
    return Prefetch("revisions", queryset=pending, to_attr="pending_revisions")


def _published_replies() -> Prefetch:
    """The provider replies shown under a review: one query for a whole page."""
    published = ReviewReply.objects.filter(status=ReplyStatus.PUBLISHED).select_related("provider")
    return Prefetch("replies", queryset=published.order_by("pk"), to_attr="published_replies")


def review_versions_known(model: AIModel) -> list[str]:
    """The versions a review of `model` may name, canonical spellings only: the catalog's
    canonical version slug (its dated one, else the model's slug) first, then every other
    version earlier reviews named (each was the canonical one when it was written: the
    catalog keeps no other version history). `review_version_canonical` maps the other
    names of the current version (undated slug, aliases, variants) to the first."""
    current = model.version_slug or model.slug
    earlier = (
        Review.objects.filter(model=model)
        .exclude(model_version=current)
        .values_list("model_version", flat=True)
        .distinct()
    )
    return [current, *sorted(earlier)]


def review_version_known(model: AIModel, version: str) -> bool:
    """Whether a review of `model` may name `version` (a canonical spelling): what
    `review_versions_known` lists, without reading every version of the model. The current
    version needs no query; an earlier one is one existence check. Listing the versions
    scans all the model's reviews (0.4 s for a model with 140,000 of them), so it is left to
    the error that shows them."""
    if version == (model.version_slug or model.slug):
        return True
    return Review.objects.filter(model=model, model_version=version).exists()


def _names_current_version(model: AIModel, name: str) -> bool:
    """`name` is the model's canonical version, its undated slug or one of its aliases
    (case ignored)."""
    if name.lower() in {(model.version_slug or model.slug).lower(), model.slug.lower()}:
        return True
    return ModelAlias.objects.filter(model=model, slug__iexact=name).exists()


def review_version_canonical(model: AIModel, version: str) -> str:
    """The one spelling a review stores for `version` of `model`, so that one version never
    shows as two: the model's undated slug, any of its aliases (`~openai/o4-mini`) and a
    variant id (`openai/o4-mini:batch`, the same weights) name the current version, i.e. the
    canonical dated slug (`openai/o4-mini-2025-04-16`). Case is ignored. Anything else is
    returned unchanged (an earlier version, or an unknown one the caller refuses); a name
    earlier reviews stored is that version, even if it looks like a variant."""
    current = model.version_slug or model.slug
    name = version.strip()
    if _names_current_version(model, name):
        return current
    base, colon, variant = name.rpartition(":")
    if not (colon and base and variant and "/" not in variant):
        return name
    if Review.objects.filter(model=model, model_version=name).exists():
        return name
    return current if _names_current_version(model, base) else name


def _with_viewer(
    queryset: QuerySet[Review], viewer: User | AnonymousUser | None
) -> QuerySet[Review]:
    """For a signed-in reader, each review with `viewer_vote` (their helpful vote: True,
    False or None) and `viewer_reported` (they have a report of it), as subqueries of the
    same query: the number of queries does not grow with the page size. For everyone, the
    author's facts shown beside each review (`with_reviewer_facts`), the same way."""
    queryset = with_reviewer_facts(queryset)
    if viewer is None or not viewer.is_authenticated:
        return queryset
    vote = HelpfulVote.objects.filter(review=OuterRef("pk"), voter=viewer.pk).values("helpful")
    reported = Report.objects.filter(review=OuterRef("pk"), reporter=viewer.pk)
    return queryset.annotate(viewer_vote=Subquery(vote[:1]), viewer_reported=Exists(reported))


def _use_case_filter(queryset: QuerySet[Review], use_case: str) -> QuerySet[Review]:
    if connection.vendor == "postgresql":
        # jsonb containment (`@>`): exact element match.
        return queryset.filter(use_cases__contains=[use_case])
    # SQLite (`make run`) has no JSON containment lookup. The list holds only `UseCase`
    # values (lowercase words, checked on write), so the quoted value appears in the stored
    # JSON text exactly when it is an element: `"coding"` cannot match inside another value.
    return queryset.filter(use_cases__icontains=f'"{use_case}"')


def review_list_for_model(
    *,
    model: AIModel,
    stars: int | None = None,
    use_case: str | None = None,
    model_version: str | None = None,
    usage_verified: bool | None = None,
    has_reply: bool | None = None,
    viewer: User | AnonymousUser | None = None,
) -> QuerySet[Review]:
    """Published reviews of `model`, filtered, with author and model preloaded (unordered:
    the paginator applies one of `REVIEW_ORDERINGS`). `model_version` may be any name of a
    version (`review_version_canonical`); `has_reply` keeps reviews with (or without) a
    published provider reply; `viewer` adds the reader's own state (`_with_viewer`). The
    published replies are preloaded as `published_replies`."""
    queryset = Review.objects.filter(model=model, status=ReviewStatus.PUBLISHED)
    if stars is not None:
        queryset = queryset.filter(rating=stars)
    if use_case:
        queryset = _use_case_filter(queryset, use_case)
    if model_version:
        queryset = queryset.filter(model_version=review_version_canonical(model, model_version))
    if usage_verified is not None:
        queryset = queryset.filter(usage_verified=usage_verified)
    if has_reply is not None:
        replied = ReviewReply.objects.filter(review=OuterRef("pk"), status=ReplyStatus.PUBLISHED)
        queryset = (
            queryset.filter(Exists(replied)) if has_reply else queryset.exclude(Exists(replied))
        )
    queryset = queryset.select_related("author", "model").prefetch_related(_published_replies())
    return _with_viewer(queryset, viewer)


def review_get_visible(*, public_id: uuid.UUID, user: User | AnonymousUser | None) -> Review:
    """The review if `user` may see it: published ones to everyone, every state to its
    author. ReviewNotFound otherwise (nobody learns that a hidden review exists). With the
    reader's own state (`_with_viewer`)."""
    visible = Q(status=ReviewStatus.PUBLISHED)
    if user is not None and user.is_authenticated:
        visible |= Q(author_id=user.pk)
    queryset = Review.objects.select_related("author", "model").prefetch_related(
        _pending_revisions(), _published_replies()
    )
    review = _with_viewer(queryset, user).filter(visible, public_id=public_id).first()
    if review is None:
        raise ReviewNotFound()
    return review


def review_own_created(review: Review) -> Review:
    """The review `review_create` just wrote (its author and model loaded), ready for its
    author's view (`ReviewOwnOutputSerializer`) without reading it back: what the read's
    preloads would find is known. It is pending, and a provider reply needs a published
    review; the reader is its author, who may neither vote on nor report their own review
    (services.votes, services.reports). The reviewer facts' count is its one query. The read
    back cost three queries, one of them joining the author and the model again."""
    review.published_replies = []
    # What `_with_viewer` annotates (names the type checker knows only as annotations).
    setattr(review, "viewer_vote", None)  # noqa: B010
    setattr(review, "viewer_reported", False)  # noqa: B010
    return review


def review_ref_get_visible(*, public_id: uuid.UUID, user: User | AnonymousUser | None) -> Review:
    """`review_get_visible`'s review, its id alone loaded (one query, nothing preloaded): for
    a write whose service locks the row and reads it itself (a vote, a report)."""
    visible = Q(status=ReviewStatus.PUBLISHED)
    if user is not None and user.is_authenticated:
        visible |= Q(author_id=user.pk)
    review = Review.objects.filter(visible, public_id=public_id).only("pk").first()
    if review is None:
        raise ReviewNotFound()
    return review


def review_list_for_author(*, author: User, model: AIModel | None = None) -> QuerySet[Review]:
    """The author's reviews in every state (of one `model` if given), newest first, with the
    edit waiting for moderation (if any) preloaded as `pending_revisions` and the reader's
    own state (`_with_viewer`: the author is the reader)."""
    queryset = Review.objects.filter(author=author)
    if model is not None:
        queryset = queryset.filter(model=model)
    queryset = queryset.select_related("author", "model").prefetch_related(
        _pending_revisions(), _published_replies()
    )
    return _with_viewer(queryset, author).order_by("-created_at", "-id")


def report_list_for_reporter(*, reporter: User) -> QuerySet[Report]:
    """The person's own reports, newest first, with the review and its model preloaded."""
    return (
        Report.objects.filter(reporter=reporter)
        .select_related("review", "review__model")
        .order_by("-created_at", "-id")
    )


def report_get_own(*, review_id: uuid.UUID, reporter: User) -> Report:
    """The person's report of the review (one per person and review). ReportNotFound."""
    report = (
        Report.objects.select_related("review", "review__model")
        .filter(review__public_id=review_id, reporter=reporter)
        .first()
    )
    if report is None:
        raise ReportNotFound()
    return report


def _moderation_queryset() -> QuerySet[Review]:
    open_reports = Report.objects.filter(state=Report.State.OPEN).select_related("reporter")
    # Most items have no flag: the similar review's author and model (the workbench names
    # them) come in queries of their own, which run only when some item has a flag, not as
    # two more joins compiled into every queue page's and every action's query.
    flags = (
        IntegrityFlag.objects.select_related("similar_review")
        .prefetch_related("similar_review__author", "similar_review__model")
        .order_by("created_at", "pk")
    )
    reviews = with_reviewer_facts(Review.objects.select_related("author", "model", "surge"))
    return reviews.prefetch_related(
        _pending_revisions(),
        _published_replies(),
        Prefetch("reports", queryset=open_reports.order_by("created_at"), to_attr="open_reports"),
        Prefetch("integrity_flags", queryset=flags, to_attr="flags"),
    )


def moderation_review_get(*, public_id: uuid.UUID) -> Review:
    """Any review, as moderators see it (open reports and the waiting edit preloaded as
    `open_reports` and `pending_revisions`). ReviewNotFound."""
    review = _moderation_queryset().filter(public_id=public_id).first()
    if review is None:
        raise ReviewNotFound()
    return review


def moderation_review_ref_get(*, public_id: uuid.UUID) -> Review:
    """Any review, its id alone loaded (one query): for a moderation service, which locks
    the row and reads it itself. ReviewNotFound."""
    review = Review.objects.filter(public_id=public_id).only("pk").first()
    if review is None:
        raise ReviewNotFound()
    return review


def moderation_queue(
    *,
    model: str | None = None,
    reason: str | None = None,
    surge: int | None = None,
    flag: str | None = None,
) -> QuerySet[Review]:
    """Reviews waiting for a moderator, oldest first: new ones and appeals (`pending`),
    published ones with an edit waiting, and reported ones (put back in the queue or hidden
    at once). `model` is a model slug; `reason` keeps items with an open report of it;
    `flag` items with an integrity flag of that kind. `surge` (an id) lists every member of
    that surge together, waiting or not, in arrival order. Preloads like
    `moderation_review_get`."""
    if surge is not None:
        queryset = _moderation_queryset().filter(surge_id=surge).order_by("created_at", "id")
    else:
        queryset = _moderation_queryset().filter(queued_at__isnull=False)
        queryset = queryset.order_by(*QUEUE_ORDERING)
    if flag:
        flagged = IntegrityFlag.objects.filter(review=OuterRef("pk"), kind=flag)
        queryset = queryset.filter(Exists(flagged))
    if model:
        queryset = queryset.filter(model__slug=model)
    if reason:
        matching = Report.objects.filter(
            review=OuterRef("pk"), state=Report.State.OPEN, reason=reason
        )
        queryset = queryset.filter(Exists(matching))
    return queryset


def moderation_review_list(
    *, author: User | None = None, model: AIModel | None = None
) -> QuerySet[Review]:
    """Every review of one author or one model, in every state, newest first, as moderators
    see them (preloaded like `moderation_review_get`): where the workbench's author and model
    links lead."""
    queryset = _moderation_queryset()
    if author is not None:
        queryset = queryset.filter(author=author)
    if model is not None:
        queryset = queryset.filter(model=model)
    return queryset.order_by("-created_at", "-id")


def review_revision_get(review: Review, number: int) -> ReviewRevision | None:
    """Revision `number` of the review, whatever its state; None if there is none."""
    return review.revisions.filter(number=number).first()


def moderation_events_for_review(review: Review) -> QuerySet[ModerationEvent]:
    """The review's audit trail, oldest first, with the actor."""
    return review.events.select_related("actor").order_by("created_at", "id")


def moderation_event_list(
    *, review: uuid.UUID | None = None, actor: str | None = None, action: str | None = None
) -> QuerySet[ModerationEvent]:
    """The audit log, newest first, optionally for one review (public id), one actor
    (username) or one action."""
    queryset = ModerationEvent.objects.select_related("review", "review__model", "actor")
    if review:
        queryset = queryset.filter(review__public_id=review)
    if actor:
        queryset = queryset.filter(actor__username=actor)
    if action:
        queryset = queryset.filter(action=action)
    return queryset.order_by("-created_at", "-id")


# --- Provider replies ----------------------------------------------------------------------


def _reply_queryset() -> QuerySet[ReviewReply]:
    return ReviewReply.objects.select_related(
        "provider", "author", "review", "review__model", "review__author"
    )


def reply_get_for_review(*, review_id: uuid.UUID, user: User | AnonymousUser | None) -> ReviewReply:
    """The provider's reply to the review: a published one for everyone; members of the
    provider also see theirs while it waits or after a rejection. ReplyNotFound otherwise."""
    replies = _reply_queryset().filter(review__public_id=review_id)
    replies = replies.exclude(status=ReplyStatus.DELETED)
    reply = replies.first()
    if reply is None:
        raise ReplyNotFound()
    if reply.status == ReplyStatus.PUBLISHED:
        return reply
    user_id = user.pk if user is not None and user.is_authenticated else None
    if membership_get(user_id=user_id, provider_id=reply.provider_id) is None:
        raise ReplyNotFound()
    return reply


def reply_moderation_queue() -> QuerySet[ReviewReply]:
    """Replies waiting for a moderator (new ones and edits), oldest first."""
    return _reply_queryset().filter(queued_at__isnull=False).order_by("queued_at", "id")


def reply_moderation_get(*, public_id: uuid.UUID) -> ReviewReply:
    """Any reply, as moderators see it. ReplyNotFound."""
    reply = _reply_queryset().filter(public_id=public_id).first()
    if reply is None:
        raise ReplyNotFound()
    return reply


def reply_stats_get(*, provider_slug: str) -> ProviderReplyStats:
    """The provider's stored reply figures (computed hourly by `reply_stats_refresh`); an
    unsaved row of zeros when it had no review in the window or none was computed yet.
    ProviderNotFound for an unknown slug. One query."""
    provider = Provider.objects.filter(slug=provider_slug).select_related("reply_stats").first()
    if provider is None:
        raise ProviderNotFound(f"No provider has the slug {provider_slug!r}.")
    stats = getattr(provider, "reply_stats", None)
    if stats is None:
        # Unsaved: `computed_at` stays None (never computed).
        return ProviderReplyStats(
            provider=provider, window_days=REPLY_STATS_WINDOW_DAYS, reviews_published=0,
            reviews_replied=0,
        )  # fmt: skip
    return stats


# --- Personal-data export (sections registered with accounts in `reviews.registrations`) ---
# Other people's reviews are named by public id only: never their author, title or text.

_CONTENT_FIELDS = (*SUB_RATINGS, "title", "body", "pros", "cons", "use_cases")


def _content_export(content: ReviewContent) -> dict[str, Any]:
    # The same names as the API's review bodies: the stars are `stars` there too.
    data: dict[str, Any] = {"stars": content.rating}
    data.update({name: getattr(content, name) for name in _CONTENT_FIELDS})
    data["usage"] = {"channel": content.usage_channel, "months": content.usage_months}
    data["model_version"] = content.model_version
    return data


def review_export_for_author(user: User) -> list[dict[str, Any]]:
    """The person's reviews in every state, each with every revision's text (2 queries)."""
    revisions = Prefetch("revisions", queryset=ReviewRevision.objects.order_by("number"))
    reviews = (
        Review.objects.filter(author_id=user.pk)
        .select_related("model")
        .prefetch_related(revisions)
        .order_by("created_at", "pk")
    )
    return [
        {
            "id": review.public_id,
            "model": model_reference(review.model),
            "status": review.status,
            **_content_export(review),
            "conflict_of_interest": review.conflict_of_interest,
            "usage_verified": review.usage_verified,
            "helpful_count": review.helpful_count,
            "not_helpful_count": review.not_helpful_count,
            "created_at": review.created_at,
            "updated_at": review.updated_at,
            "published_at": review.published_at,
            "revisions": [
                {
                    "number": r.number,
                    "state": r.state,
                    "created_at": r.created_at,
                    **_content_export(r),
                }
                for r in review.revisions.all()
            ],
        }
        for review in reviews
    ]


def _export_row(row: Mapping[str, Any], *, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    # Other people's reviews appear by public id only, as `review`, first.
    shown = {k: v for k, v in row.items() if k != "review__public_id" and k not in hidden}
    return {"review": row["review__public_id"], **shown}


def vote_export_for_voter(user: User) -> list[dict[str, Any]]:
    """The helpful votes the person cast (1 query)."""
    votes = HelpfulVote.objects.filter(voter_id=user.pk).order_by("created_at", "pk")
    rows = votes.values("review__public_id", "helpful", "created_at", "updated_at")
    return [_export_row(row) for row in rows]


def report_export_for_reporter(user: User) -> list[dict[str, Any]]:
    """The reports the person made, with their note and what became of them (1 query)."""
    reports = Report.objects.filter(reporter_id=user.pk).order_by("created_at", "pk")
    rows = reports.values(
        "review__public_id", "reason", "note", "state", "created_at", "resolved_at"
    )
    return [_export_row(row) for row in rows]


def moderation_export_for_author(user: User) -> list[dict[str, Any]]:
    """The audit trail of the person's reviews (1 query). Who acted is `you`, `moderator` or
    `system` (automatic hiding): a moderator's identity is never exported."""
    events = ModerationEvent.objects.filter(review__author_id=user.pk).order_by("created_at", "pk")
    rows = events.values(
        "review__public_id", "actor_id", "action", "from_status", "to_status", "reason", "note",
        "revision_number", "created_at",
    )  # fmt: skip
    result = []
    for row in rows:
        actor_id = row["actor_id"]
        by = "system" if actor_id is None else "you" if actor_id == user.pk else "moderator"
        result.append({**_export_row(row, hidden=frozenset({"actor_id"})), "by": by})
    return result


def reply_export_for_author(user: User) -> list[dict[str, Any]]:
    """The provider replies the person wrote, with every revision's text (2 queries)."""
    revisions = Prefetch("revisions", queryset=ReviewReplyRevision.objects.order_by("number"))
    replies = (
        ReviewReply.objects.filter(author_id=user.pk)
        .select_related("review", "provider")
        .prefetch_related(revisions)
        .order_by("created_at", "pk")
    )
    return [
        {
            "id": reply.public_id,
            "review": reply.review.public_id,
            "provider": provider_reference(reply.provider),
            "status": reply.status,
            "body": reply.body,
            "created_at": reply.created_at,
            "updated_at": reply.updated_at,
            "published_at": reply.published_at,
            "revisions": [
                {"number": r.number, "body": r.body, "created_at": r.created_at}
                for r in reply.revisions.all()
            ],
        }
        for reply in replies
    ]
