"""The embeddable rating badge: a small SVG drawn from a stored summary.

Shows the model's name, five stars filled to the plain average, the average and the number
of counted (moderator-verified) reviews. Every piece of text is XML-escaped: model names
come from imported data and editors.
"""

from html import escape

from models_catalog.models import AIModel
from reviews.models import ModelRating

_HEIGHT = 20
_CHAR_WIDTH = 6.6  # rough advance of 11 px Verdana; the badge only needs to look right
_STARS_WIDTH = 62
_PAD = 6
_MAX_NAME = 40


def _text_width(text: str) -> int:
    return round(len(text) * _CHAR_WIDTH) + 2 * _PAD


def _reviews(count: int) -> str:
    return f"{count} verified review{'' if count == 1 else 's'}"


def _texts(model: AIModel, rating: ModelRating) -> tuple[str, str, float]:
    """(score text, accessible label, share of the stars to fill)."""
    if not rating.review_count or rating.average is None:
        return "no verified reviews yet", f"{model.name}: no verified reviews yet", 0.0
    reviews = _reviews(rating.review_count)
    label = f"{model.name}: {rating.average:.1f} of 5 stars from {reviews}"
    return f"{rating.average:.1f} · {reviews}", label, max(0.0, min(1.0, rating.average / 5))


def badge_svg(model: AIModel, rating: ModelRating) -> str:
    """The badge for `model` with its summary `rating` (an empty one: "no reviews yet")."""
    name = model.name if len(model.name) <= _MAX_NAME else model.name[: _MAX_NAME - 1] + "…"
    score, label, filled = _texts(model, rating)
    left, right = _text_width(name), _STARS_WIDTH + _text_width(score)
    width = left + right
    percent = f"{filled * 100:.1f}%"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{_HEIGHT}" '
        f'role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
        '<linearGradient id="fill" x1="0" x2="1" y1="0" y2="0">'
        f'<stop offset="{percent}" stop-color="#f5b301"/>'
        f'<stop offset="{percent}" stop-color="#9f9f9f"/></linearGradient>'
        f'<rect width="{left}" height="{_HEIGHT}" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="{_HEIGHT}" fill="#333"/>'
        '<g font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" fill="#fff">'
        f'<text x="{_PAD}" y="14">{escape(name)}</text>'
        f'<text x="{left + _PAD}" y="15" font-size="13" fill="url(#fill)">★★★★★</text>'
        f'<text x="{left + _STARS_WIDTH + _PAD}" y="14">{escape(score)}</text>'
        "</g></svg>"
    )
