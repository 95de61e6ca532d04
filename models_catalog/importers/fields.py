"""Checked conversions of a record's fields; each raises `RejectedRecord` saying what is wrong.

Money is converted with `Decimal` arithmetic only: a per-token price string such as
"0.0000011" becomes exactly 1.1 USD per 1M tokens (a float would give 1.0999999999999999).
"""

import datetime as dt
import json
import math
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from models_catalog.importers.base import MalformedFile, RejectedRecord

_TOKENS_PER_PRICE_UNIT = 6  # prices are stored per 1M = 10**6 tokens


def read_json(path: Path) -> Any:
    """The parsed JSON of `path`; `MalformedFile` with a message a person can act on."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MalformedFile(f"{path}: no such file; check the path") from None
    except (IsADirectoryError, UnicodeDecodeError, PermissionError) as exc:
        raise MalformedFile(f"{path}: cannot read it as a UTF-8 text file ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedFile(
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "download the snapshot again"
        ) from None


def whole_number(record_id: str, name: str, value: Any) -> int | None:
    """A count of tokens: a non-negative integer or absent (None)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RejectedRecord(record_id, f"{name} must be a whole number >= 0, got {value!r}")
    return value


def usd_per_mtok(record_id: str, name: str, per_token: Any) -> Decimal:
    """USD per token (decimal string or JSON number) -> USD per 1M tokens, exactly."""
    if isinstance(per_token, bool) or not isinstance(per_token, str | int | float):
        raise RejectedRecord(record_id, f"{name} must be a price per token, got {per_token!r}")
    # str() of a float is its shortest round-tripping form: 1.1e-06 -> Decimal("0.0000011").
    value = _finite_decimal(record_id, name, str(per_token))
    if value < 0:
        raise RejectedRecord(record_id, f"{name} must not be negative, got {per_token!r}")
    return value.scaleb(_TOKENS_PER_PRICE_UNIT)


def score(record_id: str, name: str, value: Any, *, low: float, high: float) -> Decimal:
    """A benchmark score or rating: a JSON number within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RejectedRecord(record_id, f"{name} must be a number, got {value!r}")
    if not (math.isfinite(value) and low <= value <= high):
        raise RejectedRecord(record_id, f"{name} must be between {low} and {high}, got {value!r}")
    return Decimal(str(value))


def iso_date(record_id: str, name: str, value: Any) -> dt.date | None:
    """A YYYY-MM-DD date (string, or a TOML date) or absent (None)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise RejectedRecord(record_id, f"{name} must be a YYYY-MM-DD date, got {value!r}")


def month_or_date(record_id: str, name: str, value: Any) -> dt.date | None:
    """YYYY-MM (read as the month's first day) or YYYY-MM-DD, or absent (None)."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value):
        return iso_date(record_id, name, f"{value}-01")
    return iso_date(record_id, name, value)


def text(record_id: str, name: str, value: Any, *, max_length: int | None = None) -> str:
    """A string (absent is ""), at most `max_length` characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RejectedRecord(record_id, f"{name} must be a string, got {value!r}")
    if max_length is not None and len(value) > max_length:
        raise RejectedRecord(record_id, f"{name} is longer than {max_length} characters")
    return value


def string_list(record_id: str, name: str, value: Any) -> list[str] | None:
    """A list of strings, or absent (None)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RejectedRecord(record_id, f"{name} must be a list of strings, got {value!r}")
    return value


def _finite_decimal(record_id: str, name: str, raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise RejectedRecord(record_id, f"{name} is not a number: {raw!r}") from None
    if not value.is_finite():
        raise RejectedRecord(record_id, f"{name} is not a finite number: {raw!r}")
    return value
