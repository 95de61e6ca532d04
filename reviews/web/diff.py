"""Word-level differences between the published text and the revision waiting.

difflib on whitespace-separated words (the whitespace kept with each word, so the result
reads like the text). Each segment is `(op, text)` with op `same`, `added` or `removed`;
templates mark `added` with <ins> and `removed` with <del>.
"""

import difflib
import re
from dataclasses import dataclass

from reviews.models import SUB_RATINGS, ReviewContent, UsageChannel, UseCase

_TOKENS = re.compile(r"\S+|\s+")
TEXT_FIELDS = ("title", "body", "pros", "cons")


@dataclass(frozen=True)
class FieldDiff:
    name: str
    segments: list[tuple[str, str]]
    changed: bool


@dataclass(frozen=True)
class ValueChange:
    name: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def words_diff(before: str, after: str) -> list[tuple[str, str]]:
    """`after` against `before`, word by word."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    segments: list[tuple[str, str]] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("same", "".join(old[a1:a2])))
            continue
        if a2 > a1:
            segments.append(("removed", "".join(old[a1:a2])))
        if b2 > b1:
            segments.append(("added", "".join(new[b1:b2])))
    return segments


def stars(value: int | None) -> str:
    return "—" if value is None else f"{value}/5"


def use_cases_label(values: list[str]) -> str:
    labels = dict(UseCase.choices)
    return ", ".join(str(labels.get(value, value)) for value in values) or "—"


def usage_label(content: ReviewContent) -> str:
    channel = dict(UsageChannel.choices).get(content.usage_channel, "")
    months = f"{content.usage_months} months" if content.usage_months is not None else ""
    return ", ".join(str(part) for part in (channel, months) if part) or "—"


def text_diffs(before: ReviewContent, after: ReviewContent) -> list[FieldDiff]:
    """The text fields of `after` against `before`, in reading order."""
    result = []
    for name in TEXT_FIELDS:
        old, new = getattr(before, name) or "", getattr(after, name) or ""
        result.append(FieldDiff(name, words_diff(old, new), old != new))
    return result


def value_changes(before: ReviewContent, after: ReviewContent) -> list[ValueChange]:
    """Rating, sub-ratings and the other facts of `after` against `before`; the template
    highlights the changed ones."""
    rows = [ValueChange("stars", stars(before.rating), stars(after.rating))]
    rows += [
        ValueChange(name, stars(getattr(before, name)), stars(getattr(after, name)))
        for name in SUB_RATINGS
    ]
    rows.append(
        ValueChange(
            "use cases", use_cases_label(before.use_cases), use_cases_label(after.use_cases)
        )
    )
    rows.append(ValueChange("usage", usage_label(before), usage_label(after)))
    rows.append(ValueChange("model version", before.model_version, after.model_version))
    return rows
