"""Refusals in words for people: no codes, no ids, and what to do next."""

from config.exceptions import ApplicationError

HUMAN = {
    "invalid_transition": "Nothing was done: this review is no longer in a state that allows "
    "it (another moderator may have acted). The page shows where it stands now.",
    "cannot_moderate_own_review": "This is your own review (or your review is in this batch): "
    "another moderator will decide.",
    "moderation_not_allowed": "You may not moderate in this session.",
    "review_not_found": "That review no longer exists.",
    "surge_not_found": "That surge no longer exists.",
    "revision_changed": "The author changed the text, reload: nothing was done.",
    "validation_error": "Something in the form was not accepted; nothing was done.",
}


def human_message(error: ApplicationError) -> str:
    """A refusal as a sentence; never the stable code or an id (those are for clients)."""
    return HUMAN.get(error.code, "That could not be done; nothing was changed.")
