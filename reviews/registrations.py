"""What the reviews app gives the apps below it, which cannot import it (imports run
reviews -> models_catalog -> accounts). Called once from `ReviewsConfig.ready()`.

- The catalog: the rating measures it orders and ranks models by, and the rating brief it
  embeds in each model (`models_catalog.registry`).
- The outbox (`events`): the consumers that mail authors the outcome of moderation and the
  provider's published reply, and the one that re-marks conflicts when a membership changes.
- Accounts: the person's reviews (every revision), helpful votes, reports and the audit trail
  of their reviews and their provider replies in the personal-data export, and what account
  erasure removes.
"""

from typing import Any

from accounts.models import User
from accounts.selectors import export_section_register
from accounts.services import erasure_register
from events.registry import consumer_register
from models_catalog import registry
from models_catalog.memberships import MEMBERSHIP_CHANGED
from models_catalog.models import Direction
from reviews import selectors, services
from reviews.api.documents import rating_part, reviews_part
from reviews.api.highlights import (
    HIGHLIGHTS_RELATION,
    ReviewHighlightsOutputSerializer,
    review_highlights_block,
)
from reviews.api.rating_serializers import RatingBriefOutputSerializer
from reviews.ratings.brief import (
    RATING_RELATION,
    model_rating_brief,
    model_rating_compare_rows,
    model_use_case_ranks,
)
from reviews.ratings.selectors import model_version_list
from reviews.services.workflow import OUTCOME_EVENT_TYPES


def _rating_measure(key: str, name: str, help_text: str, **options: Any) -> None:
    # The lookup goes through the relation ModelRating adds to AIModel: a stored row, never
    # an aggregate of reviews.
    lookup = f"{RATING_RELATION}__{key}"
    direction = Direction.HIGHER_IS_BETTER
    registry.measure_register(
        registry.ModelMeasure(key, name, lookup, direction, help_text, **options)
    )


def catalog_register() -> None:
    null = "null without counted reviews"
    _rating_measure(
        "bayesian_average", "Rating, Bayesian average",
        f"rating, the mean pulled toward the site-wide mean ({null})",
    )  # fmt: skip
    _rating_measure(
        "lower_bound", "Rating, lower bound (ranking score)",
        f"rating, the ranking score ({null})",
    )  # fmt: skip
    _rating_measure(
        "review_count", "Counted reviews",
        "number of counted reviews (0 for a model never reviewed)", ranked=False, missing=0,
    )  # fmt: skip
    registry.brief_register(
        registry.ModelBrief(
            field="rating",
            related=RATING_RELATION,
            render=model_rating_brief,
            serializer=RatingBriefOutputSerializer,
            help_text="Rating summary: count, mean and Bayesian average of counted reviews.",
        )
    )
    # The model page lists its versions with their review counts.
    registry.model_versions_register(model_version_list)
    # The model page in one request (`?include=rating,reviews`).
    registry.page_part_register("rating", rating_part)
    registry.page_part_register("reviews", reviews_part)
    # The comparison shows the rating and its sub-ratings side by side.
    registry.compare_rows_register(model_rating_compare_rows)
    # `ranks/` ranks a model per use case among the models with enough tagged reviews.
    registry.ranks_register(model_use_case_ranks)
    # The model page shows what reviewers say (strengths, limitations, best for).
    registry.detail_block_register(
        registry.DetailBlock(
            field="from_reviews",
            related=HIGHLIGHTS_RELATION,
            render=review_highlights_block,
            serializer=ReviewHighlightsOutputSerializer,
            help_text="What verified reviewers say, drawn from counted reviews off the request "
            "path: the most cited strengths and limitations (similar pros and cons grouped) "
            "with links to the reviews, and the use cases the model is best for.",
        )
    )


def _erase_reviews(user: User) -> None:
    services.review_erase_for_author(author_id=user.pk)


def _erase_report_notes(user: User) -> None:
    services.report_erase_for_reporter(reporter_id=user.pk)


def _erase_replies(user: User) -> None:
    services.reply_erase_for_author(author_id=user.pk)


def personal_data_register() -> None:
    export_section_register("reviews", selectors.review_export_for_author)
    export_section_register("helpful_votes", selectors.vote_export_for_voter)
    export_section_register("reports", selectors.report_export_for_reporter)
    export_section_register("moderation_events", selectors.moderation_export_for_author)
    export_section_register("provider_replies", selectors.reply_export_for_author)
    # Reviews first: erasure locks the person's reviews before any report row (the order
    # every writer of reviews uses). Votes stay, as anonymous counts; the audit trail stays.
    erasure_register("reviews", _erase_reviews)
    erasure_register("report_notes", _erase_report_notes)
    erasure_register("provider_replies", _erase_replies)


def events_register() -> None:
    # A dotted path: the handler module (mail rendering) loads only where deliveries run.
    consumer_register(
        "review_outcome_mail",
        OUTCOME_EVENT_TYPES,
        "reviews.services.notifications.review_outcome_mail",
    )
    # Provider membership (catalog) decides conflict-of-interest marks on reviews.
    consumer_register(
        "review_conflicts_refresh",
        [MEMBERSHIP_CHANGED],
        "reviews.services.conflicts.review_conflicts_consumer",
    )
    consumer_register(
        "reply_published_mail", ["reply.published"],
        "reviews.services.notifications.reply_published_mail",
    )  # fmt: skip
