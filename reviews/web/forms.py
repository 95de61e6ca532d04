"""The workbench's forms: shape and types only; the services decide."""

from django import forms

from reviews.api.serializers import NOTE_MAX
from reviews.models import ReportReason

REASON_CHOICES = [("", "Choose a reason…"), *ReportReason.choices]
# Where to go after an action: back to the queue, the same review, or the next in the queue.
THEN_CHOICES = [("queue", "queue"), ("review", "review"), ("next", "next")]


class ActionForm(forms.Form):
    revision = forms.IntegerField(min_value=0, required=False)
    reason = forms.ChoiceField(choices=REASON_CHOICES, required=False)
    note = forms.CharField(max_length=NOTE_MAX, required=False, strip=False)
    then = forms.ChoiceField(choices=THEN_CHOICES, required=False)


class SurgeActionForm(forms.Form):
    reason = forms.ChoiceField(choices=REASON_CHOICES, required=False)
    note = forms.CharField(max_length=NOTE_MAX, required=False, strip=False)
