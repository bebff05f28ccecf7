"""Dates in filters and in questions ("in January 2025" prefers documents from then)."""

from __future__ import annotations

import calendar
import re
from datetime import date

from ..errors import QuestionError

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\.?,?\s+((?:19|20)\d\d)\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b", re.I)
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\.?,?\s+((?:19|20)\d\d)\b", re.I)
_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
_YEAR = re.compile(r"\b(?:in|during|of|from|since)\s+((?:19|20)\d\d)\b", re.I)


def parse_day(value: str | None, what: str = "date") -> str | None:
    """Validate a ``YYYY-MM-DD`` filter value; ``None`` and "" mean no filter."""
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise QuestionError(f"{what} must be a date like 2025-01-23, not {value.strip()[:40]!r}") from None


def time_in_question(question: str) -> tuple[str, str] | None:
    """The day range a question names, if any: ("in January 2025") -> 2025-01-01..2025-01-31."""
    try:
        if m := _ISO.search(question):
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
            return day, day
        if m := _DAY_MONTH_YEAR.search(question):
            day = date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))).isoformat()
            return day, day
        if m := _MONTH_DAY_YEAR.search(question):
            day = date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2))).isoformat()
            return day, day
    except ValueError:  # "31 February 2025": not a day, so no preference
        return None
    if m := _MONTH_YEAR.search(question):
        year, month = int(m.group(2)), _MONTHS[m.group(1).lower()]
        last = calendar.monthrange(year, month)[1]
        return date(year, month, 1).isoformat(), date(year, month, last).isoformat()
    if m := _YEAR.search(question):
        return f"{m.group(1)}-01-01", f"{m.group(1)}-12-31"
    return None
