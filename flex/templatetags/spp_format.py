"""Number and date formats of the portal: thousands separators, ISO dates, one-decimal %."""

from __future__ import annotations

from datetime import date, datetime

from django import template

register = template.Library()

DASH = "—"


@register.filter
def num(value, decimals: int = 0) -> str:
    """1234567 -> "1,234,567"; num:2 -> "1,234.57"; empty for None."""
    if value is None or value == "":
        return DASH
    try:
        return f"{float(value):,.{int(decimals)}f}" if decimals else f"{round(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def pct(rate) -> str:
    """A fraction as a percentage with one decimal: 0.234 -> "23.4%"."""
    if rate is None or rate == "":
        return DASH
    return f"{float(rate) * 100:.1f}%"


@register.filter
def iso(value) -> str:
    """A date as YYYY-MM-DD."""
    if value is None or value == "":
        return DASH
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@register.filter
def rate_level(rate) -> str:
    """The SPEC §5 band of a balance rate, as a CSS modifier: low, watch or ok."""
    if rate is None:
        return "none"
    if rate < 0.20:
        return "low"
    if rate < 0.30:
        return "watch"
    return "ok"


@register.filter
def get(mapping, key):
    """mapping[key] in a template (dicts keyed by strings like "20to30")."""
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return None


@register.filter
def days_until(value, start) -> str:
    """Signed distance in days from `start` to `value`: "+12", "0", "−3"."""
    if not value or not start:
        return ""
    days = (value - start).days
    return f"+{days}" if days > 0 else ("0" if days == 0 else f"−{-days}")


@register.filter
def abs_num(value) -> str:
    """The absolute value with thousands separators (the sign is written by the template)."""
    if value is None:
        return DASH
    return num(abs(value))
