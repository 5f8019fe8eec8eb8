"""Server-rendered SVG charts: plain functions from numbers to an SVG string.

No JavaScript and nothing fetched: the page works offline and prints. Every text is
escaped; the result is safe to mark_safe() in a template.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

RED = "#d64545"
GREEN = "#2f9e6e"
GREY = "#dfe3e8"
INK = "#1f2933"
MUTED = "#6b7785"
LINE = "#0e74a8"
LOW_BALANCE = 0.20  # SPEC §9: red when available < 20% of total
FIT = "xMidYMid meet"  # charts that scale to their box, centred


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


def _whole(value: float) -> str:
    return f"{value:,.0f}"


def _axis_label(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _svg_start(
    css: str, testid: str, width: int, height: int, description: str, *, fit: str | None
) -> list[str]:
    """The opening tag (scaled to its box by `fit`, else drawn at its own size) and the title
    that screen readers and hovering read."""
    size = f'preserveAspectRatio="{fit}"' if fit else f'width="{width}" height="{height}"'
    return [
        f'<svg class="{css}" data-testid="{escape(testid)}" viewBox="0 0 {width} {height}" '
        f'{size} role="img" aria-label="{escape(description)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(description)}</title>",
    ]


@dataclass(frozen=True)
class _ValueAxis:
    """The vertical value axis of a plot: round ticks from 0 to above the peak, the y of a
    value, the grid lines with their labels, and the baseline."""

    left: int  # x of the plot's left edge (labels stand left of it)
    right: int  # x of the plot's right edge
    top: int
    height: int  # of the plot: the baseline is at top + height
    step: float
    y_max: float

    @classmethod
    def fit(
        cls, peak: float, *, left: int, right: int, top: int, height: int, whole: bool = False
    ) -> _ValueAxis:
        """Ticks on a nice_step() (whole numbers only when `whole`); the axis ends on a tick
        above the peak, never on it, so the highest bar or point has room over it."""
        step = nice_step(peak) if peak > 0 else 1.0
        if whole:
            step = max(1.0, float(math.ceil(step)))
        y_max = step * math.ceil(peak / step) if peak > 0 else 4.0
        if peak > 0 and y_max == peak:
            y_max += step
        return cls(left, right, top, height, step, y_max)

    def y(self, value: float) -> float:
        return self.top + self.height - self.height * value / self.y_max

    def grid(self, label: Callable[[float], str] = _axis_label) -> list[str]:
        """A grey line and a label at each tick."""
        parts = []
        value = 0.0
        while value <= self.y_max + 1e-9:
            yy = _fmt(self.y(value))
            parts.append(
                f'<line x1="{self.left}" x2="{self.right}" y1="{yy}" y2="{yy}" stroke="{GREY}" '
                f'stroke-width="1"/>'
            )
            parts.append(
                f'<text x="{self.left - 8}" y="{yy}" dy="0.32em" text-anchor="end" '
                f'font-size="11" fill="{MUTED}">{label(value)}</text>'
            )
            value += self.step
        return parts

    def baseline(self) -> str:
        base = self.top + self.height
        return (
            f'<line x1="{self.left}" x2="{self.right}" y1="{base}" y2="{base}" '
            f'stroke="{MUTED}" stroke-width="1"/>'
        )


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
    axis = _ValueAxis.fit(peak, left=left, right=width - right, top=top, height=plot_h)
    y = axis.y
    total = sum(value for _, value in points)

    def x(index: int) -> float:
        return left + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)

    description = (
        f"{label}: {count} days from {points[0][0].isoformat()} to {points[-1][0].isoformat()}, "
        f"{total:,.0f} {unit} in all, peak {peak:,.0f}"
        if points
        else f"{label}: no data"
    )
    parts = _svg_start("spp-line", "line-chart", width, height, description, fit=FIT)
    parts += axis.grid(_whole)
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
    parts.append(axis.baseline())
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


# Series colours of bar charts: distinct, calm, and readable on white (the first is LINE).
PALETTE = (
    "#0e74a8",
    "#e8a317",
    "#2f9e6e",
    "#7c5cbf",
    "#d64545",
    "#4fb3d9",
    "#a0522d",
    "#8a9aa9",
    "#c2185b",
    "#5c6bc0",
)
OTHERS = "#b6bec8"


def _unit(unit: str, amount: float) -> str:
    """ "1 user", "2 users": plural units lose their s for exactly one."""
    return unit[:-1] if amount == 1 and unit.endswith("s") else unit


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    width: int = 640,
    height: int = 240,
    unit: str = "tokens",
    label: str = "Bar chart",
    testid: str = "bar-chart",
    colours: Sequence[str] = PALETTE,
) -> str:
    """Vertical bars, one per category; several series are stacked, with a legend.

    Each bar segment has a hover title ("2026-01 · AutoCAD: 1,234 tokens"); a single
    series writes its value above each bar, so the chart reads without hovering."""
    stacked = len(series) > 1
    legend_h = 22 if stacked else 0
    left, right, top, bottom = 56, 12, 18 + legend_h, 34
    plot_w = width - left - right
    plot_h = height - top - bottom
    count = len(categories)
    totals = [sum(values[i] for _, values in series) for i in range(count)]
    peak = max(totals, default=0)
    # Counts of users: no half-user ticks.
    whole = all(float(v).is_integer() for _, values in series for v in values)
    axis = _ValueAxis.fit(peak, left=left, right=width - right, top=top, height=plot_h, whole=whole)
    y = axis.y
    slot = plot_w / count if count else plot_w
    bar_w = min(slot * 0.64, 56.0)
    total = sum(totals)
    description = (
        f"{label}: {count} bars, {total:,.0f} {unit} in all, highest {peak:,.0f}"
        if count
        else f"{label}: no data"
    )
    parts = _svg_start("spp-bars", testid, width, height, description, fit=FIT)
    parts += axis.grid()
    # Category labels: thinned out when they would overlap (about 7 px per character).
    longest = max((len(c) for c in categories), default=1)
    every = max(1, math.ceil((longest * 7 + 6) / slot)) if count else 1
    for index, category in enumerate(categories):
        x0 = left + slot * index + (slot - bar_w) / 2
        base = 0.0
        for s, (name, values) in enumerate(series):
            amount = values[index]
            if amount <= 0:
                continue
            y_top, y_bottom = y(base + amount), y(base)
            colour = colours[s % len(colours)]
            what = f"{category} · {name}" if stacked else category
            parts.append(
                f'<rect class="spp-bar" x="{_fmt(x0)}" y="{_fmt(y_top)}" width="{_fmt(bar_w)}" '
                f'height="{_fmt(max(y_bottom - y_top, 0.5))}" fill="{colour}">'
                f"<title>{escape(what)}: {amount:,.0f} {escape(_unit(unit, amount))}</title></rect>"
            )
            base += amount
        centre = _fmt(x0 + bar_w / 2)
        if not stacked:
            parts.append(
                f'<text x="{centre}" y="{_fmt(y(totals[index]) - 5)}" text-anchor="middle" '
                f'font-size="11" font-weight="600" fill="{INK}">{totals[index]:,.0f}</text>'
            )
        if index % every == 0:
            parts.append(
                f'<text x="{centre}" y="{top + plot_h + 18}" text-anchor="middle" '
                f'font-size="11" fill="{MUTED}">{escape(category)}</text>'
            )
    parts.append(axis.baseline())
    if stacked:
        x = float(left)
        for s, (name, _) in enumerate(series):
            colour = colours[s % len(colours)]
            parts.append(
                f'<g class="spp-legend-item"><rect x="{_fmt(x)}" y="4" width="10" height="10" '
                f'rx="2" fill="{colour}"/><text x="{_fmt(x + 14)}" y="13" font-size="11" '
                f'fill="{INK}">{escape(name)}</text></g>'
            )
            x += 14 + len(name) * 6.4 + 16
    parts.append("</svg>")
    return "".join(parts)


def _shade(share: float) -> str:
    """White to LINE blue by share (0…1) of the possible days."""
    share = min(max(share, 0.0), 1.0)
    base = (0x0E, 0x74, 0xA8)
    if share == 0:
        return "#f1f3f5"
    mix = 0.18 + 0.82 * share
    r, g, b = (round(255 - (255 - c) * mix) for c in base)
    return f"#{r:02x}{g:02x}{b:02x}"


def heat_grid(
    columns: Sequence[date],
    rows: Sequence[tuple[str, Sequence[int]]],
    capacity: Sequence[int],
    *,
    label: str = "Days used per week",
    unit: str = "days",
    testid: str = "heat-grid",
    cell: int | None = None,
    span: int = 900,
) -> str:
    """A grid of weeks (columns, by Monday) × rows (products): each cell shaded by the
    days used out of the days of that week in the range, with a hover title.

    Cells grow to fill about `span` pixels (between 12 and 28 px): a quarter's 14 weeks
    read as well as a year's 53."""
    gap = 3
    if cell is None:
        cell = int(min(max(span / max(len(columns), 1) - gap, 12), 28))
    names_w = min(max((len(name) for name, _ in rows), default=4) * 6.6 + 12, 180)
    left, top, right, bottom = names_w, 22, 8, 8
    width = int(left + len(columns) * (cell + gap) + right)
    height = int(top + len(rows) * (cell + gap) + bottom)
    used = sum(sum(values) for _, values in rows)
    description = (
        f"{label}: {len(rows)} product{'s' if len(rows) != 1 else ''} over {len(columns)} "
        f"week{'s' if len(columns) != 1 else ''}, {used:,} {unit} used in all"
    )
    parts = _svg_start("spp-heat", testid, width, height, description, fit=None)
    # A month label over the first week whose Thursday is in a new month (ISO rule),
    # skipped when it would overlap the previous label (about 42 px for "2026-01"); the
    # first column's label gives way to the next one (it is often a sliver of a month).
    labels: list[tuple[float, str]] = []
    previous_month = None
    for index, monday in enumerate(columns):
        month = date.fromordinal(monday.toordinal() + 3).strftime("%Y-%m")
        if month == previous_month:
            continue
        previous_month = month
        x = left + index * (cell + gap)
        if labels and x - labels[-1][0] < 46:
            if labels[-1][0] == left and len(labels) == 1:
                labels[-1] = (x, month)
            continue
        labels.append((x, month))
    for x, month in labels:
        parts.append(f'<text x="{_fmt(x)}" y="12" font-size="10" fill="{MUTED}">{month}</text>')
    for r, (name, values) in enumerate(rows):
        yy = top + r * (cell + gap)
        parts.append(
            f'<text x="{_fmt(left - 8)}" y="{_fmt(yy + cell / 2)}" dy="0.32em" '
            f'text-anchor="end" font-size="11" fill="{INK}">{escape(name)}</text>'
        )
        for c, monday in enumerate(columns):
            possible = capacity[c] if c < len(capacity) else 7
            amount = values[c]
            title = f"{name}, week of {monday.isoformat()}: {amount} of {possible} {unit}"
            parts.append(
                f'<rect class="spp-heat-cell" x="{_fmt(left + c * (cell + gap))}" '
                f'y="{_fmt(yy)}" width="{cell}" height="{cell}" rx="2" '
                f'fill="{_shade(amount / possible if possible else 0)}" data-value="{amount}">'
                f"<title>{escape(title)}</title></rect>"
            )
    parts.append("</svg>")
    return "".join(parts)


# ------------------------------------------------------------------ advisor and audit


def hbar_chart(
    rows: Sequence[tuple[str, float]],
    *,
    width: int = 560,
    unit: str = "tokens",
    label: str = "Horizontal bar chart",
    testid: str = "hbar-chart",
    colour: str = LINE,
    value_format: str = "{:,.0f}",
    notes: Sequence[str] | None = None,
) -> str:
    """One horizontal bar per row (label, value), the value (and its note) at the bar's
    end: reads without hovering, and long labels (product names, causes) fit."""
    bar_h, gap, top, bottom = 16, 10, 4, 4
    label_w = min(max((len(name) for name, _ in rows), default=4) * 7.4 + 16, 240)
    value_w = 120
    plot_w = max(width - label_w - value_w, 40)
    height = top + len(rows) * (bar_h + gap) - gap + bottom if rows else 24
    peak = max((value for _, value in rows), default=0)
    total = sum(value for _, value in rows)
    description = (
        f"{label}: {len(rows)} bars, {total:,.0f} {unit} in all" if rows else f"{label}: no data"
    )
    parts = _svg_start("spp-hbars", testid, width, height, description, fit="xMinYMin meet")
    for index, (name, value) in enumerate(rows):
        y = top + index * (bar_h + gap)
        length = plot_w * value / peak if peak > 0 else 0
        text = value_format.format(value)
        if notes and index < len(notes) and notes[index]:
            text += f" · {notes[index]}"
        parts.append(
            f'<text x="{_fmt(label_w - 8)}" y="{_fmt(y + bar_h / 2)}" dy="0.32em" '
            f'text-anchor="end" font-size="12" fill="{INK}">{escape(name)}</text>'
        )
        parts.append(
            f'<rect x="{_fmt(label_w)}" y="{y}" width="{_fmt(plot_w)}" height="{bar_h}" '
            f'rx="3" fill="#f1f3f5"/>'
        )
        if length > 0:
            parts.append(
                f'<rect class="spp-bar" x="{_fmt(label_w)}" y="{y}" width="{_fmt(max(length, 2))}" '
                f'height="{bar_h}" rx="3" fill="{colour}"><title>{escape(name)}: '
                f"{escape(text)} {escape(_unit(unit, value))}</title></rect>"
            )
        parts.append(
            f'<text x="{_fmt(label_w + plot_w + 8)}" y="{_fmt(y + bar_h / 2)}" dy="0.32em" '
            f'font-size="12" font-weight="600" fill="{INK if value else MUTED}">'
            f"{escape(text)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    categories: Sequence[str],
    values: Sequence[float],
    *,
    highlight: int | None = None,
    average: float | None = None,
    width: int = 640,
    height: int = 220,
    unit: str = "tokens",
    label: str = "Column chart",
    testid: str = "column-chart",
) -> str:
    """One column per category, one of them highlighted (the peak) and an optional dashed
    average line: a season reads at a glance."""
    left, right, top, bottom = 56, 12, 18, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    count = len(categories)
    peak = max(values, default=0)
    axis = _ValueAxis.fit(peak, left=left, right=width - right, top=top, height=plot_h)
    y = axis.y
    slot = plot_w / count if count else plot_w
    bar_w = min(slot * 0.62, 48.0)
    description = (
        f"{label}: {count} columns, {sum(values):,.0f} {unit} in all"
        + (
            f", highest {categories[highlight]} ({values[highlight]:,.0f})"
            if highlight is not None
            else ""
        )
        if count
        else f"{label}: no data"
    )
    parts = _svg_start("spp-bars", testid, width, height, description, fit=FIT)
    parts += axis.grid()
    for index, (category, amount) in enumerate(zip(categories, values, strict=True)):
        x0 = left + slot * index + (slot - bar_w) / 2
        centre = _fmt(x0 + bar_w / 2)
        is_peak = index == highlight
        colour = PALETTE[1] if is_peak else LINE
        peak_attr = ' data-peak="true"' if is_peak else ""
        weight = ' font-weight="600"' if is_peak else ""
        if amount > 0:
            parts.append(
                f'<rect class="spp-bar" x="{_fmt(x0)}" y="{_fmt(y(amount))}" '
                f'width="{_fmt(bar_w)}" height="{_fmt(max(y(0) - y(amount), 0.5))}" '
                f'fill="{colour}"{peak_attr}>'
                f"<title>{escape(category)}: {amount:,.0f} {escape(_unit(unit, amount))}</title>"
                "</rect>"
            )
        parts.append(
            f'<text x="{centre}" y="{top + plot_h + 18}" text-anchor="middle" font-size="11" '
            f'fill="{INK if is_peak else MUTED}"{weight}>{escape(category)}</text>'
        )
    if average is not None and average > 0:
        ya = _fmt(y(average))
        parts.append(
            f'<line class="spp-average" x1="{left}" x2="{axis.right}" y1="{ya}" y2="{ya}" '
            f'stroke="{INK}" stroke-width="1" stroke-dasharray="4 4" opacity="0.55">'
            f"<title>Average: {average:,.0f} {escape(unit)}</title></line>"
        )
    parts.append(axis.baseline())
    parts.append("</svg>")
    return "".join(parts)
