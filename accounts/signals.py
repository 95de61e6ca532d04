"""Signals that accounts sends for apps above it in the import order."""

from django.dispatch import Signal

# Sent by `accounts.services.user_erase` inside the erasing transaction, after the person's
# personal data and sessions are gone; keyword argument: `user_id` (the row stays).
#
# This is the hook the reviews app (issue 4) uses to withdraw that person's reviews and
# have the affected ratings recomputed: accounts cannot import reviews (imports run
# reviews -> models_catalog -> accounts), so reviews listens instead. A receiver calls one
# service; its writes commit or roll back with the erasure, and it defers slow work with
# `delay_on_commit`.
account_erased = Signal()
