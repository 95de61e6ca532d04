"""Checks on what people write: what is visible, and what would mislead a reader.

Unicode format characters (category Cf: zero-width spaces and joiners, direction marks, the
byte-order mark) render as nothing, so a title of ten of them is blank, and a body padded
with them is shorter than it counts. Bidirectional overrides and isolates (U+202A-202E,
U+2066-2069) reorder the text around them as displayed: "Trojan Source" spoofing, a review
that reads differently from what it says. Those are refused outright.
"""

import re
import unicodedata

BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
BIDI_MESSAGE = "Must not contain bidirectional override or isolate characters."


def visible(text: str) -> str:
    """`text` without Unicode format characters (category Cf)."""
    return "".join(char for char in text if unicodedata.category(char) != "Cf")


def visible_length(text: str) -> int:
    """How many characters of `text` show, around its ends' whitespace."""
    return len(visible(text).strip())


def has_bidi_controls(text: str) -> bool:
    return BIDI_CONTROLS.search(text) is not None


def comparable(text: str) -> str:
    """What `text` looks like, for "is this the same name?": compatibility forms folded
    (NFKC: full-width letters, ligatures), format characters dropped, case folded."""
    return visible(unicodedata.normalize("NFKC", visible(text))).casefold().strip()
