"""Receivers at the edge: another app's signal in, one service call out."""

from typing import Any

from django.dispatch import receiver

from accounts.signals import account_erased
from reviews.services import review_withdraw_all_for_author


@receiver(account_erased, dispatch_uid="reviews.withdraw_erased_authors_reviews")
def withdraw_erased_authors_reviews(sender: type, user_id: int, **kwargs: Any) -> None:
    # Runs inside the erasing transaction: the withdrawals (and the stale rating marks they
    # write) commit or roll back with the erasure.
    review_withdraw_all_for_author(author_id=user_id)
