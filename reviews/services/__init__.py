"""Writes of the reviews app, split by sub-domain; import them from here.

`content` (what an author writes), `workflow` (lock, audit event, queue), `authoring`,
`moderation`, `votes`, `reports`, `replies` (provider replies), `conflicts` and
`notifications`.
"""

from reviews.services.authoring import (
    review_create,
    review_erase_for_author,
    review_update,
    review_withdraw,
    review_withdraw_all_for_author,
)
from reviews.services.content import ReviewDraft
from reviews.services.moderation import (
    review_hide,
    review_mark_usage_verified,
    review_reject,
    review_restore,
    review_verify,
)
from reviews.services.notifications import review_outcome_notify
from reviews.services.replies import (
    reply_create,
    reply_delete,
    reply_erase_for_author,
    reply_publish,
    reply_reject,
    reply_update,
)
from reviews.services.reports import report_create, report_erase_for_reporter, report_withdraw
from reviews.services.votes import vote_delete, vote_set, wilson_lower_bound

__all__ = [
    "ReviewDraft",
    "reply_create",
    "reply_delete",
    "reply_erase_for_author",
    "reply_publish",
    "reply_reject",
    "reply_update",
    "report_create",
    "report_erase_for_reporter",
    "report_withdraw",
    "review_create",
    "review_erase_for_author",
    "review_hide",
    "review_mark_usage_verified",
    "review_outcome_notify",
    "review_reject",
    "review_restore",
    "review_update",
    "review_verify",
    "review_withdraw",
    "review_withdraw_all_for_author",
    "vote_delete",
    "vote_set",
    "wilson_lower_bound",
]
