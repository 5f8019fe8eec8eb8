"""Pure figures of usage reporting (SPEC §9): pseudonymous labels, token bands, monthly
averages, shares, days used per week. Plain data in, plain data out; no ORM."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

ANONYMOUS = "Anonymous"
ANONYMOUS_SLUG = "anonymous"
LABEL_PREFIX = "User "
LABEL_HEX = 4  # "User 7F3A": 65,536 labels per team, lengthened only on a collision

# SPEC §9: users per token band of the product detail. Bounds are inclusive.
BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0–100", 0, 100),
    ("101–500", 101, 500),
    ("501–1,000", 501, 1000),
    ("> 1,000", 1001, None),
)


# ------------------------------------------------------------------ pseudonymous labels


def _digest(team_key: str, user_key: str) -> str:
    """HMAC of the stored user key under the team: labels differ from team to team, so a
    label seen in one team says nothing about a user in another; and the stored key is
    itself an HMAC of the e-mail under the server secret, so nothing here is reversible."""
    return hmac.new(team_key.encode(), user_key.encode(), hashlib.sha256).hexdigest().upper()


def user_labels(
    team_key: str, user_keys: Iterable[str], anonymous_key: str | None = None
) -> dict[str, str]:
    """user_key -> "User 7F3A" for every user of one team ("Anonymous" for the masked user).

    Stable for a team: a label depends only on the team and the user's key, except that
    users whose first four hex digits collide get the shortest longer prefix that tells
    them apart (the same for the same set of users)."""
    keys = set(user_keys)
    digests = {key: _digest(team_key, key) for key in keys if key != anonymous_key}
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for key, digest in digests.items():
        by_prefix[digest[:LABEL_HEX]].append(key)
    labels = {}
    for prefix, group in by_prefix.items():
        if len(group) == 1:
            labels[group[0]] = LABEL_PREFIX + prefix
            continue
        length = LABEL_HEX + 1
        while len({digests[k][:length] for k in group}) < len(group):
            length += 1
        for key in group:
            labels[key] = LABEL_PREFIX + digests[key][:length]
    if anonymous_key is not None and anonymous_key in keys:
        labels[anonymous_key] = ANONYMOUS
    return labels


def label_slug(label: str) -> str:
    """The URL part of a label: "User 7F3A" -> "7F3A", "Anonymous" -> "anonymous"."""
    if label == ANONYMOUS:
        return ANONYMOUS_SLUG
    return label.removeprefix(LABEL_PREFIX)


def key_for_slug(labels: Mapping[str, str], slug: str) -> str | None:
    """The user key whose label has this URL slug (case-insensitive), or None."""
    wanted = slug.strip().lower()
    for key, label in labels.items():
        if label_slug(label).lower() == wanted:
            return key
    return None


def sort_label(label: str) -> tuple[int, str]:
    """Users sort by label with Anonymous last."""
    return (1, "") if label == ANONYMOUS else (0, label)


# ------------------------------------------------------------------ averages and shares


def monthly_average(tokens: float, months: float) -> float:
    """Tokens ÷ months of the range (SPEC §9; the 30-day range is one month)."""
    return tokens / months if months > 0 else 0.0


def share(part: float, total: float) -> float | None:
    """part ÷ total as a fraction, None when there is no total."""
    return part / total if total else None


# ------------------------------------------------------------------ token bands


def band_index(tokens: int) -> int:
    for index, (_, low, high) in enumerate(BANDS):
        if tokens >= low and (high is None or tokens <= high):
            return index
    return 0  # negative tokens do not occur (the import refuses them)


def band_counts(tokens_per_user: Iterable[int]) -> list[tuple[str, int]]:
    """(band label, number of users whose tokens fall in it), every band listed."""
    counts = [0] * len(BANDS)
    for tokens in tokens_per_user:
        counts[band_index(tokens)] += 1
    return [(label, counts[i]) for i, (label, _, _) in enumerate(BANDS)]


# ------------------------------------------------------------------ days used per week


@dataclass(frozen=True)
class WeekGrid:
    """Days used per ISO week (columns, by Monday) and product (rows).

    `capacity[w]` is the number of days of week w inside the range (7 except at the edges),
    so that a cell can say "3 of 4 days"."""

    weeks: list[date]
    rows: list[tuple[str, list[int]]]
    capacity: list[int]


def week_grid(days_by_product: Mapping[str, Iterable[date]], start: date, end: date) -> WeekGrid:
    """Count, per product and week, the distinct days in [start, end] with usage."""
    first_monday = start - timedelta(days=start.weekday())
    count = (end - first_monday).days // 7 + 1
    weeks = [first_monday + timedelta(days=7 * i) for i in range(count)]
    capacity = [
        (min(monday + timedelta(days=6), end) - max(monday, start)).days + 1 for monday in weeks
    ]
    rows = []
    for product in sorted(days_by_product):
        cells = [0] * count
        for day in set(days_by_product[product]):
            if start <= day <= end:
                cells[(day - first_monday).days // 7] += 1
        rows.append((product, cells))
    return WeekGrid(weeks, rows, capacity)
