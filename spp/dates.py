"""The business date D (SPEC §2): today in the configured time zone, unless pinned."""

from __future__ import annotations

import os
from datetime import date

from django.utils import timezone


def business_date() -> date:
    """SPP_TODAY=YYYY-MM-DD pins D for the whole process (demos, tests)."""
    pinned = os.environ.get("SPP_TODAY")
    if pinned:
        return date.fromisoformat(pinned)
    return timezone.localdate()


def parse_iso_date(value: str, what: str = "date") -> date:
    """A YYYY-MM-DD date, or a ValueError that says what was wrong."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a date as YYYY-MM-DD, not {value!r}") from None
