"""Signals of the rating pipeline, for readers of its output that live in other layers."""

from django.dispatch import Signal

# Sent after the transaction that stored new summaries commits, with `model_ids`: the models
# whose stored summary changed. The rating API refreshes its cached responses on it.
ratings_stored = Signal()
