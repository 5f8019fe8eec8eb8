"""Server-rendered SVG charts: plain functions from numbers to an SVG string.

No JavaScript and nothing fetched: the page works offline and prints. Every text is
escaped; the result is safe to mark_safe() in a template.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from html import escape

RED = "#d64545"
GREEN = "#2f9e6e"
GREY = "#dfe3e8"
INK = "#1f2933"
MUTED = "#6b7785"
LINE = "#0e74a8"
LOW_BALANCE = 0.20  # SPEC §9: red when available < 20% of total


def _fmt(value: float) -> str:
    """Coordinates with two decimals at most (small, stable output)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def donut_colour(available: int, total: int) -> str:
    return RED if total > 0 and available < LOW_BALANCE * total else GREEN


def donut(available: int, used: int, *, size: int = 160, label: str = "available") -> str:
    """A ring of available (red under 20% of the total, green otherwise) vs used tokens."""
    total = max(available, 0) + max(used, 0)
    radius = 52.0
    stroke = 16.0
    circumference = 2 * math.pi * radius
    colour = donut_colour(available, total)
    share = (available / total) if total else 0.0
    centre = f"{share * 100:.1f}%" if total else "—"
    title = (
        f"{available:,} of {total:,} tokens available ({centre}), {used:,} used"
        if total
        else "No tokens in the pool"
    )
    arc = ""
    if total:
        length = circumference * share
        arc = (
            f'<circle class="spp-donut-available" cx="60" cy="60" r="{_fmt(radius)}" fill="none" '
            f'stroke="{colour}" stroke-width="{_fmt(stroke)}" '
            f'stroke-dasharray="{_fmt(length)} {_fmt(circumference)}" '
            f'transform="rotate(-90 60 60)"/>'
        )
    return (
        f'<svg class="spp-donut" data-testid="donut" data-colour="{"red" if colour == RED else "green"}" '
        f'viewBox="0 0 120 120" width="{size}" height="{size}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'<circle class="spp-donut-used" cx="60" cy="60" r="{_fmt(radius)}" fill="none" '
        f'stroke="{GREY}" stroke-width="{_fmt(stroke)}"/>'
        f"{arc}"
        f'<text x="60" y="60" text-anchor="middle" font-size="20" font-weight="600" '
        f'fill="{colour if total else MUTED}">{escape(centre)}</text>'
        f'<text x="60" y="78" text-anchor="middle" font-size="10" fill="{MUTED}">'
        f"{escape(label)}</text>"
        "</svg>"
    )


def nice_step(span: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 × 10^n) dividing `span` into about `ticks` parts."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def line_chart(
    points: Sequence[tuple[date, float]],
    *,
    width: int = 960,
    height: int = 260,
    unit: str = "tokens",
    label: str = "Tokens used by day",
) -> str:
    """A line chart of one value per day: axes, month ticks, a hover title per day."""
    left, right, top, bottom = 56, 16, 14, 30
    plot_w = width - left - right
    plot_h = height - top - bottom
    count = len(points)
    peak = max((value for _, value in points), default=0)
    step = nice_step(peak) if peak > 0 else 1.0
    y_max = step * math.ceil(peak / step) if peak > 0 else 4.0
    if peak > 0 and y_max == peak:
        y_max += step
    total = sum(value for _, value in points)

    def x(index: int) -> float:
        return left + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / y_max

    description = (
        f"{label}: {count} days from {points[0][0].isoformat()} to {points[-1][0].isoformat()}, "
        f"{total:,.0f} {unit} in all, peak {peak:,.0f}"
        if points
        else f"{label}: no data"
    )
    parts = [
        f'<svg class="spp-line" data-testid="line-chart" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-label="{escape(description)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(description)}</title>",
    ]
    # Horizontal grid and y labels.
    value = 0.0
    while value <= y_max + 1e-9:
        yy = _fmt(y(value))
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{yy}" y2="{yy}" stroke="{GREY}" '
            f'stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 8}" y="{yy}" dy="0.32em" text-anchor="end" font-size="11" '
            f'fill="{MUTED}">{value:,.0f}</text>'
        )
        value += step
    # Month ticks on the first day of each month.
    for index, (day, _) in enumerate(points):
        if day.day == 1:
            xx = _fmt(x(index))
            parts.append(
                f'<line x1="{xx}" x2="{xx}" y1="{top + plot_h}" y2="{top + plot_h + 5}" '
                f'stroke="{MUTED}" stroke-width="1"/>'
            )
            parts.append(
                f'<text x="{xx}" y="{top + plot_h + 18}" text-anchor="middle" font-size="11" '
                f'fill="{MUTED}">{day:%Y-%m}</text>'
            )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    if points:
        coords = " ".join(f"{_fmt(x(i))},{_fmt(y(v))}" for i, (_, v) in enumerate(points))
        base = _fmt(top + plot_h)
        parts.append(
            f'<polygon points="{_fmt(x(0))},{base} {coords} {_fmt(x(count - 1))},{base}" '
            f'fill="{LINE}" fill-opacity="0.08"/>'
        )
        parts.append(
            f'<polyline class="spp-line-path" points="{coords}" fill="none" stroke="{LINE}" '
            f'stroke-width="1.5" stroke-linejoin="round"/>'
        )
        parts.append('<g class="spp-line-points">')
        for i, (day, v) in enumerate(points):
            parts.append(
                f'<circle cx="{_fmt(x(i))}" cy="{_fmt(y(v))}" r="3">'
                f"<title>{day.isoformat()}: {v:,.0f} {escape(unit)}</title></circle>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
