"""Token events of one team as the current partner may see them (SPEC §1, §9). API-only.

Built from the team selectors that already apply the visibility rules (own packs via
the seller-scoped manager; moves and adjustments of own packs; merges of linked teams)
and the partner's snapshot for the aggregate of other suppliers. A foreign purchase
never appears on its own: no date, order number, quantity or price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flex.models import TokenEvent
from teams import selectors
from teams.models import Team


@dataclass(frozen=True)
class ApiTokenEvent:
    kind: str
    date: date | None
    tokens: int | None
    order_number: str | None
    detail: str


def _name(team: Team | None) -> str:
    # The other side of a move or merge may be a team this partner is not linked to
    # (RLS hides it): say so without naming it.
    return team.name if team is not None else "a team not linked to you"


def team_events(team: Team, today: date) -> list[ApiTokenEvent]:
    """The `additional` aggregate first, then the events newest first (stable order)."""
    events: list[ApiTokenEvent] = []
    for pack in selectors.own_packs(team):
        if pack.start_date <= today:
            events.append(
                ApiTokenEvent("purchased", pack.start_date, pack.quantity, pack.order_number, "")
            )
        if pack.end_date < today:
            events.append(
                ApiTokenEvent("expired", pack.end_date, None, pack.order_number, "Pack ended.")
            )
    for event in selectors.token_events(team):
        order = event.pack.order_number if event.pack_id else None
        if event.kind == TokenEvent.Kind.MERGE:
            if event.to_team_id == team.pk:
                events.append(
                    ApiTokenEvent(
                        "merged_in", event.date, None, None, f"From {_name(event.from_team)}."
                    )
                )
            else:
                events.append(
                    ApiTokenEvent(
                        "merged_out", event.date, None, None, f"Into {_name(event.to_team)}."
                    )
                )
        elif event.kind == TokenEvent.Kind.MOVE:
            incoming = event.to_team_id == team.pk
            other = event.from_team if incoming else event.to_team
            events.append(
                ApiTokenEvent(
                    "moved_in" if incoming else "moved_out",
                    event.date,
                    event.quantity if incoming else -event.quantity,
                    order,
                    f"{'From' if incoming else 'To'} {_name(other)}.",
                )
            )
        else:
            events.append(
                ApiTokenEvent("adjusted", event.date, event.quantity, order, event.reason)
            )
    events.sort(key=lambda e: (e.date, e.kind, e.order_number or "", e.detail), reverse=True)
    snapshot = selectors.team_figures(team)
    additional = snapshot.flex_additional_tokens if snapshot is not None else 0
    aggregate = ApiTokenEvent(
        "additional",
        None,
        additional,
        None,
        "Tokens of other suppliers in the active pool"
        + (f" as of {snapshot.as_of.isoformat()}" if snapshot is not None else "")
        + " (an aggregate).",
    )
    return [aggregate, *events]
