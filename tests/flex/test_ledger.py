"""Tests of flex.ledger: worked cases, then hypothesis against a literal day-by-day oracle."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flex.ledger import (
    Pack,
    TokenEvent,
    UsageSeries,
    boundary_dates,
    default_end_date,
    replay,
)

DAY = timedelta(days=1)


def d(text: str) -> date:
    return date.fromisoformat(text)


def pack(
    order: str,
    quantity: int,
    start: str,
    end: str | None = None,
    team: str = "T1",
    seller: str = "P1",
) -> Pack:
    first = d(start)
    last = d(end) if end else default_end_date(first)
    return Pack(order, team, seller, quantity, first, last)


def move(day: str, order: str, from_team: str | None, to_team: str | None) -> TokenEvent:
    return TokenEvent("move", d(day), order, from_team, to_team)


def merge(day: str, merged: str, receiving: str) -> TokenEvent:
    return TokenEvent("merge", d(day), None, merged, receiving)


def adjust(day: str, order: str, quantity: int, reason: str = "fix") -> TokenEvent:
    return TokenEvent("adjustment", d(day), order, None, None, quantity, reason)


def usage(**by_team: dict[str, int]) -> dict[str, UsageSeries]:
    return {
        team: UsageSeries.from_daily({d(day): tokens for day, tokens in daily.items()})
        for team, daily in by_team.items()
    }


def state(result, team: str, order: str):
    """The single stay of pack `order` in `team`."""
    (found,) = [p for p in result[team].packs if p.order_number == order]
    return found


def balance(result, team: str, as_of: date) -> int:
    return sum(p.remaining for p in result[team].active_packs(as_of))


# ------------------------------------------------------------------ default end, usage


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2025-06-12", "2026-06-11"),
        ("2025-03-11", "2026-03-10"),
        ("2024-02-29", "2025-02-28"),  # anniversary of 29 Feb is 1 March
        ("2023-03-01", "2024-02-29"),
        ("2025-01-01", "2025-12-31"),
        ("2024-12-31", "2025-12-30"),
    ],
)
def test_default_end_date(start: str, end: str) -> None:
    assert default_end_date(d(start)) == d(end)


def test_usage_series_between_and_prefix() -> None:
    daily = UsageSeries.from_daily({d("2026-01-02"): 5, d("2026-01-05"): 7, d("2026-01-09"): 1})
    assert daily.between(d("2026-01-01"), d("2026-01-31")) == 13
    assert daily.between(d("2026-01-03"), d("2026-01-05")) == 7
    assert daily.between(d("2026-01-06"), d("2026-01-08")) == 0
    assert daily.between(d("2026-01-05"), d("2026-01-05")) == 7
    assert daily.between(d("2026-01-05"), d("2026-01-04")) == 0  # a > b
    assert daily.cum_at(d("2025-12-31")) == 0
    prefix = UsageSeries.from_prefix([(d("2026-01-04"), 5), (d("2026-01-08"), 12)])
    assert prefix.between(d("2026-01-05"), d("2026-01-08")) == 7
    assert prefix.cum_at(d("2026-01-07")) == 5


def test_usage_series_rejects_bad_data() -> None:
    with pytest.raises(ValueError):
        UsageSeries.from_daily({d("2026-01-02"): -1})
    with pytest.raises(ValueError):
        UsageSeries.from_prefix([(d("2026-01-02"), 5), (d("2026-01-03"), 4)])


# ---------------------------------------------------------------------- draw and close


def test_earliest_end_first_then_smaller_then_order_number() -> None:
    packs = [
        pack("A-late", 10, "2026-01-01", "2026-12-31"),
        pack("B-big", 100, "2026-01-01", "2026-06-30"),
        pack("C-small", 50, "2026-01-01", "2026-06-30"),
        pack("E-same", 40, "2026-01-01", "2026-05-31"),
        pack("D-same", 40, "2026-01-01", "2026-05-31"),
    ]
    as_of = d("2026-02-01")
    result = replay(packs, [], usage(T1={"2026-01-10": 30}), as_of)
    assert state(result, "T1", "D-same").used == 30  # earliest end, same size: order number
    assert state(result, "T1", "E-same").used == 0

    result = replay(packs, [], usage(T1={"2026-01-10": 100, "2026-01-11": 30}), as_of)
    assert [state(result, "T1", o).used for o in ("D-same", "E-same", "C-small", "B-big")] == [
        40,
        40,
        50,
        0,
    ]
    assert state(result, "T1", "A-late").used == 0


def test_tie_break_uses_the_current_quantity_after_adjustment() -> None:
    packs = [pack("A", 100, "2026-01-01", "2026-06-30"), pack("B", 50, "2026-01-01", "2026-06-30")]
    events = [adjust("2026-01-05", "A", -60)]
    result = replay(packs, events, usage(T1={"2026-01-10": 10}), d("2026-02-01"))
    assert state(result, "T1", "A").quantity == 40
    assert state(result, "T1", "A").used == 10  # 40 < 50: A is the smaller pack now
    assert state(result, "T1", "B").used == 0


def test_overage_when_the_pool_is_dry() -> None:
    packs = [pack("A", 100, "2026-01-01")]
    daily = {"2025-12-31": 20, "2026-01-10": 150, "2026-01-11": 5}
    result = replay(packs, [], usage(T1=daily), d("2026-02-01"))
    a = state(result, "T1", "A")
    assert (a.used, a.remaining) == (100, 0)
    assert result["T1"].overage_tokens == 20 + 50 + 5
    assert balance(result, "T1", d("2026-02-01")) == 0


def test_overage_counts_only_the_last_365_days() -> None:
    as_of = d("2026-03-10")
    daily = {"2025-03-10": 7, "2025-03-11": 11, "2026-03-10": 13}  # D-365, D-364, D
    result = replay([], [], usage(T1=daily), as_of)
    assert result["T1"].overage_tokens == 24
    assert result["T1"].packs == []


def test_expiry_and_expired_unused_window() -> None:
    as_of = d("2026-03-10")
    packs = [
        pack("ends-D", 100, "2025-03-11"),  # ends 2026-03-10: still active on D
        pack("ends-D-1", 100, "2025-03-10"),  # ends 2026-03-09
        pack("ends-D-365", 100, "2024-03-11", "2025-03-10"),
        pack("ends-D-366", 100, "2024-03-10", "2025-03-09"),
    ]
    result = replay(packs, [], usage(T1={"2026-03-10": 30}), as_of)
    ends_d = state(result, "T1", "ends-D")
    assert (ends_d.used, ends_d.remaining, ends_d.expired) == (30, 70, 0)
    assert state(result, "T1", "ends-D-1").expired == 100
    assert [p.order_number for p in result["T1"].active_packs(as_of)] == ["ends-D"]
    assert result["T1"].expired_unused_tokens == 200  # ends-D-1 and ends-D-365
    # The day after, ends-D has expired too.
    later = replay(packs, [], usage(T1={"2026-03-10": 30}), as_of + DAY)
    assert state(later, "T1", "ends-D").expired == 70
    assert later["T1"].active_packs(as_of + DAY) == []


def test_pack_starting_after_as_of_is_not_in_the_ledger() -> None:
    result = replay([pack("A", 100, "2026-04-01")], [], {}, d("2026-03-10"))
    assert result == {}


def test_move_mid_life() -> None:
    packs = [pack("O", 1000, "2025-06-01", team="X")]
    daily_x = {"2025-07-01": 300, "2025-10-01": 40, "2025-11-01": 10}
    daily_y = {"2025-10-01": 60, "2025-11-01": 40}
    events = [move("2025-10-01", "O", "X", "Y")]
    as_of = d("2025-12-01")
    result = replay(packs, events, usage(X=daily_x, Y=daily_y), as_of)
    x = state(result, "X", "O")
    assert (x.quantity, x.used, x.remaining, x.expired, x.moved_out) == (1000, 300, 0, 0, 700)
    assert (x.moved_on, x.moved_to_team_id) == (d("2025-10-01"), "Y")
    y = state(result, "Y", "O")
    assert (y.quantity, y.used, y.remaining, y.moved_out) == (700, 100, 600, 0)
    assert (y.available_from, y.end_date, y.seller_csn) == (d("2025-10-01"), d("2026-05-31"), "P1")
    assert result["X"].active_packs(as_of) == []
    assert result["X"].overage_tokens == 50  # X's usage from the move day on finds no pack
    assert result["Y"].overage_tokens == 0
    assert [(e.kind, e.tokens) for e in result["X"].entries] == [("move_out", -700)]
    assert [(e.kind, e.tokens) for e in result["Y"].entries] == [("move_in", 700)]


def test_merge_moves_every_pack_still_in_the_pool() -> None:
    packs = [
        pack("old", 100, "2024-01-01", team="X"),  # expired 2024-12-31: stays behind
        pack("live", 500, "2025-06-01", team="X"),
        pack("future", 300, "2025-12-01", team="X"),  # bought ahead, not started on merge day
        pack("mine", 50, "2025-01-01", team="Y"),
    ]
    daily_x = {"2024-06-01": 20, "2025-07-01": 100}
    daily_y = {"2025-11-02": 600}
    as_of = d("2025-12-15")
    result = replay(packs, [merge("2025-11-01", "X", "Y")], usage(X=daily_x, Y=daily_y), as_of)
    old = state(result, "X", "old")
    assert (old.used, old.expired, old.moved_out, old.in_pool) == (20, 80, 0, True)
    assert state(result, "X", "live").moved_out == 400
    assert state(result, "X", "future").moved_out == 300
    # In Y: "mine" (ends 2025-12-31) drawn first, then the moved "live" (ends 2026-05-31).
    assert state(result, "Y", "mine").used == 50
    assert (state(result, "Y", "live").quantity, state(result, "Y", "live").used) == (400, 400)
    future = state(result, "Y", "future")
    assert (future.quantity, future.used, future.available_from) == (300, 0, d("2025-11-01"))
    assert result["Y"].overage_tokens == 150
    assert {p.order_number for p in result["Y"].active_packs(as_of)} == {"mine", "live", "future"}
    assert result["X"].active_packs(as_of) == []


def test_positive_and_negative_adjustments() -> None:
    packs = [pack("A", 100, "2026-01-01")]
    events = [
        adjust("2026-01-05", "A", 50, "goodwill"),
        adjust("2026-01-20", "A", -500, "refund"),  # more than is left: removes what is left
    ]
    daily = {"2026-01-10": 30}
    result = replay(packs, events, usage(T1=daily), d("2026-01-15"))
    a = state(result, "T1", "A")
    assert (a.quantity, a.remaining, a.adjusted) == (150, 120, 50)

    result = replay(packs, events, usage(T1=daily), d("2026-02-01"))
    a = state(result, "T1", "A")
    assert (a.quantity, a.used, a.remaining, a.adjusted) == (30, 30, 0, -70)
    assert [(e.requested, e.tokens, e.reason) for e in result["T1"].entries] == [
        (50, 50, "goodwill"),
        (-500, -120, "refund"),
    ]


def test_events_that_cannot_apply_are_skipped_with_a_warning() -> None:
    packs = [pack("A", 100, "2025-01-01", team="X"), pack("B", 100, "2025-06-01", team="X")]
    events = [
        move("2025-02-01", "nope", "X", "Y"),  # unknown pack
        move("2025-02-01", "A", "Z", "Y"),  # not in Z's pool
        move("2026-01-01", "A", "X", "Y"),  # expired on 2024-12-31
        move("2025-07-01", "B", "X", "X"),  # already there
        merge("2025-07-01", "X", "X"),
        TokenEvent("split", d("2025-07-01"), "B", "X", "Y"),
        adjust("2025-07-01", "ghost", 10),  # names no team, unknown pack
        move("2027-01-01", "B", "X", "Y"),  # after as_of: ignored, no warning
    ]
    result = replay(packs, events, {}, d("2026-03-01"))
    assert len(result.warnings) == 7
    assert all("skipped" in w for w in result.warnings)
    assert state(result, "X", "A").moved_out == 0
    assert state(result, "X", "B").in_pool
    assert "Y" not in result
    assert len(result["X"].warnings) == 6  # all but "ghost" name X or a pack held by X


def test_invalid_packs_are_skipped_with_a_warning() -> None:
    packs = [
        pack("A", 100, "2026-01-01"),
        pack("A", 999, "2026-01-01"),
        pack("neg", -5, "2026-01-01"),
        pack("inverted", 5, "2026-01-01", "2025-12-31"),
    ]
    result = replay(packs, [], {}, d("2026-02-01"))
    assert [p.order_number for p in result["T1"].packs] == ["A"]
    assert state(result, "T1", "A").quantity == 100
    assert len(result.warnings) == 3


# ------------------------------------------------------------- the day-by-day oracle


@dataclass
class NaiveState:
    order_number: str
    team_id: str
    start_date: date
    end_date: date
    available_from: date
    quantity: int
    used: int = 0
    remaining: int = 0
    expired: int = 0
    moved_out: int = 0
    adjusted: int = 0
    moved_on: date | None = None


def naive_replay(packs, events, daily_by_team, as_of):
    """Literal SPEC §3 replay, one calendar day at a time.

    Returns (states, overage per team per day, number of skipped events).
    """
    states: list[NaiveState] = []
    holder: dict[str, NaiveState] = {}
    for p in packs:
        s = NaiveState(
            p.order_number, p.team_id, p.start_date, p.end_date, p.start_date, p.quantity
        )
        s.remaining = p.quantity
        states.append(s)
        holder[p.order_number] = s
    teams = {p.team_id for p in packs} | set(daily_by_team)
    for e in events:
        teams |= {t for t in (e.from_team_id, e.to_team_id) if t}
    usage_days = [day for daily in daily_by_team.values() for day in daily]
    day = min([p.start_date for p in packs] + [e.date for e in events] + usage_days + [as_of])
    overage: dict[str, dict[date, int]] = defaultdict(dict)
    skipped = 0

    def transfer(s: NaiveState, to_team: str, when: date) -> None:
        s.moved_out, s.remaining, s.moved_on = s.remaining, 0, when
        new = NaiveState(s.order_number, to_team, s.start_date, s.end_date, when, s.moved_out)
        new.remaining = s.moved_out
        states.append(new)
        holder[s.order_number] = new

    def in_pool(order, team, when):
        s = holder.get(order)
        if s is None or (team and s.team_id != team) or s.end_date < when:
            return None
        return s

    while day <= as_of:
        # 1. events of the day, in input order (packs are in their pool from the outset)
        for e in events:
            if e.date != day:
                continue
            if e.kind == "move":
                s = in_pool(e.order_number, e.from_team_id, day)
                if s is None or not e.to_team_id or s.team_id == e.to_team_id:
                    skipped += 1
                else:
                    transfer(s, e.to_team_id, day)
            elif e.kind == "merge":
                if not e.from_team_id or not e.to_team_id or e.from_team_id == e.to_team_id:
                    skipped += 1
                    continue
                pool = [
                    s
                    for s in states
                    if s.team_id == e.from_team_id and s.moved_on is None and s.end_date >= day
                ]
                for s in sorted(pool, key=lambda s: s.order_number):
                    transfer(s, e.to_team_id, day)
            elif e.kind == "adjustment":
                s = in_pool(e.order_number, e.from_team_id, day)
                if s is None:
                    skipped += 1
                    continue
                applied = e.quantity if e.quantity >= 0 else -min(-e.quantity, s.remaining)
                s.quantity += applied
                s.remaining += applied
                s.adjusted += applied
            else:
                skipped += 1
        # 2. and 3. each team's usage of the day, in priority order, the rest is overage
        for team in teams:
            demand = daily_by_team.get(team, {}).get(day, 0)
            active = [
                s
                for s in states
                if s.team_id == team
                and s.moved_on is None
                and s.start_date <= day <= s.end_date
                and s.available_from <= day
            ]
            for s in sorted(active, key=lambda s: (s.end_date, s.quantity, s.order_number)):
                taken = min(s.remaining, demand)
                s.used += taken
                s.remaining -= taken
                demand -= taken
            overage[team][day] = demand
        # 4. expiry at the close of the day; the snapshot of as_of is read before it
        if day < as_of:
            for s in states:
                if s.end_date == day:
                    s.expired += s.remaining
                    s.remaining = 0
        day += DAY
    return states, overage, skipped


# --------------------------------------------------------------- random scenarios

BASE = date(2024, 1, 1)
SPAN_DAYS = 730
TEAMS = ["T1", "T2", "T3"]
SELLERS = ["P1", "P2", "P3"]


@st.composite
def scenarios(draw):
    """Random packs, events and daily usage of 1-3 teams over about two years.

    Days are often drawn from a few shared "key days", so that equal end dates (tie-breaks),
    events on a pack's start or end day and moves of packs not yet started really happen.
    """
    teams = TEAMS[: draw(st.sampled_from([1, 2, 2, 3, 3]))]
    key_days = draw(st.lists(st.integers(0, SPAN_DAYS), min_size=1, max_size=4))
    offset = st.sampled_from(key_days) | st.integers(0, SPAN_DAYS)

    def some_day(shift: int = 0) -> date:
        return BASE + timedelta(days=draw(offset) + draw(st.sampled_from([0, 0, -1, 1])) * shift)

    packs = []
    for index in range(draw(st.integers(0, 8))):
        team = draw(st.sampled_from(teams))
        start = some_day()
        if draw(st.booleans()):
            end = default_end_date(start)
        else:
            end = max(start, some_day(shift=1) if draw(st.booleans()) else start)
            end += timedelta(days=draw(st.sampled_from([0, 30]) | st.integers(0, 400)))
        if packs and draw(st.integers(0, 2)) == 0:  # a twin: same team and end (tie-breaks)
            twin = draw(st.sampled_from(packs))
            team, start, end = twin.team_id, twin.start_date, twin.end_date
        quantity = draw(st.sampled_from([0, 10, 50, 100]) | st.integers(0, 1500))
        seller = draw(st.sampled_from(SELLERS))
        packs.append(Pack(f"O{index}", team, seller, quantity, start, end))

    def life_day(p: Pack) -> date:  # a day shortly before or during the pack's life
        return p.start_date + timedelta(
            days=draw(st.integers(-10, (p.end_date - p.start_date).days))
        )

    events = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["move", "move", "merge", "adjustment", "adjustment", "bogus"]))
        # Mostly events that can apply: a known pack, named in its own team, during its life,
        # moved to another team; sometimes anything at all (they must be skipped).
        concerned = draw(st.sampled_from(packs)) if packs else None
        sensible = concerned is not None and draw(st.integers(0, 3)) > 0
        order = concerned.order_number if sensible else draw(st.sampled_from(["O0", "O-x"]))
        from_team = concerned.team_id if sensible else draw(st.sampled_from([*teams, None]))
        others = [t for t in teams if t != from_team] or teams
        to_team = draw(st.sampled_from(others)) if sensible else draw(st.sampled_from(teams))
        when = life_day(concerned) if sensible else some_day(shift=1)
        if events and draw(st.integers(0, 3)) == 0:  # same day as another event: order matters
            when = draw(st.sampled_from(events)).date
        if kind == "merge":
            order = None
        if kind == "adjustment":
            to_team = None
            if draw(st.booleans()):  # adjustments usually name no team
                from_team = None
        quantity = draw(st.integers(-400, 400)) if kind == "adjustment" else 0
        events.append(TokenEvent(kind, when, order, from_team, to_team, quantity))
    daily_by_team = {}
    for team in teams:
        if draw(st.booleans()) or not packs:
            days = draw(
                st.dictionaries(
                    st.integers(-30, SPAN_DAYS + 30),
                    st.sampled_from([0, 1, 5, 10, 20]) | st.integers(0, 400),
                    max_size=60,
                )
            )
            daily_by_team[team] = {BASE + timedelta(days=k): v for k, v in days.items()}
    late = BASE + timedelta(days=SPAN_DAYS + 60)
    as_of = draw(st.sampled_from([late, late, some_day(shift=1)]))
    return packs, events, daily_by_team, as_of


def series_of(daily_by_team) -> dict[str, UsageSeries]:
    return {team: UsageSeries.from_daily(daily) for team, daily in daily_by_team.items()}


def comparable(s) -> tuple:
    return (
        s.team_id,
        s.order_number,
        s.available_from,
        s.quantity,
        s.used,
        s.remaining,
        s.expired,
        s.moved_out,
        s.adjusted,
        s.moved_on or date.min,  # None sorts first
    )


MODERATE = settings(max_examples=200, deadline=None)


@MODERATE
@given(scenarios())
def test_interval_replay_equals_daily_oracle(scenario) -> None:
    packs, events, daily_by_team, as_of = scenario
    result = replay(packs, events, series_of(daily_by_team), as_of)
    states, overage, skipped = naive_replay(packs, events, daily_by_team, as_of)

    expected = sorted(comparable(s) for s in states if s.start_date <= as_of)
    actual = sorted(comparable(s) for ledger in result.values() for s in ledger.packs)
    assert actual == expected
    assert len(result.warnings) == skipped
    assert {s.team_id for s in states if s.start_date <= as_of} | set(daily_by_team) <= set(result)

    window = as_of - timedelta(days=364)
    for team, ledger in result.items():
        by_day = overage.get(team, {})
        assert ledger.overage_tokens == sum(v for k, v in by_day.items() if k >= window)
        for period in ledger.overage_periods:
            days = (period.last_day - period.first_day).days + 1
            in_period = [period.first_day + timedelta(days=k) for k in range(days)]
            assert period.tokens == sum(by_day.get(k, 0) for k in in_period)
        expired = sum(
            s.expired
            for s in states
            if s.team_id == team and as_of - timedelta(days=365) <= s.end_date < as_of
        )
        assert ledger.expired_unused_tokens == expired


@MODERATE
@given(scenarios())
def test_ledger_invariants(scenario) -> None:
    packs, events, daily_by_team, as_of = scenario
    result = replay(packs, events, series_of(daily_by_team), as_of)
    all_states = [s for ledger in result.values() for s in ledger.packs]
    for s in all_states:
        assert min(s.used, s.remaining, s.expired, s.moved_out, s.quantity) >= 0
        assert s.quantity == s.used + s.expired + s.remaining + s.moved_out
    for team, ledger in result.items():
        active = ledger.active_packs(as_of)
        total = sum(s.quantity for s in active)
        bal = sum(s.remaining for s in active)
        assert bal >= 0
        assert total == bal + sum(s.used for s in active)
        assert all(s.team_id == team for s in ledger.packs)
        assert len({s.order_number for s in active}) == len(active)

    # Conservation over the whole group: every bought token is used, expired, remaining or
    # moved; a moved-out count reappears as the quantity the receiving stay starts from.
    entries = [e for ledger in result.values() for e in ledger.entries]
    bought = sum(p.quantity for p in packs if p.start_date <= as_of)
    adjusted = 0
    for e in entries:
        if e.kind == "adjustment":
            if e.requested >= 0:
                assert e.tokens == e.requested
            else:
                assert e.requested <= e.tokens <= 0
            if _start_of(packs, e.order_number) <= as_of:
                adjusted += e.tokens
    assert bought + adjusted == sum(s.used + s.expired + s.remaining for s in all_states)
    moved_in = sum(e.tokens for e in entries if e.kind in ("move_in", "merge_in"))
    moved_in_now = sum(
        e.tokens
        for e in entries
        if e.kind in ("move_in", "merge_in") and _start_of(packs, e.order_number) <= as_of
    )
    assert moved_in == -sum(e.tokens for e in entries if e.kind in ("move_out", "merge_out"))
    assert moved_in_now == sum(s.moved_out for s in all_states)


def _start_of(packs, order_number: str) -> date:
    return next(p.start_date for p in packs if p.order_number == order_number)


@MODERATE
@given(scenarios())
def test_prefix_series_at_boundary_dates_gives_the_same_ledger(scenario) -> None:
    packs, events, daily_by_team, as_of = scenario
    daily = series_of(daily_by_team)
    days = boundary_dates(packs, events, as_of)
    sparse = {
        team: UsageSeries.from_prefix([(x, series.cum_at(x)) for x in days])
        for team, series in daily.items()
    }
    assert replay(packs, events, sparse, as_of) == replay(packs, events, daily, as_of)


# ------------------------------------------------- the lone-team fast path vs the generic


def generic_replay(packs, events, usage_by_team, as_of):
    """replay() with every group on the generic path (the fast path switched off)."""
    from flex.ledger import ReplayResult, _GroupReplay, _linked_groups, _valid_packs

    result = ReplayResult()
    valid = _valid_packs(packs, result.warnings)
    due = [e for e in events if e.date <= as_of]
    for group in _linked_groups(valid, due, usage_by_team, result.warnings):
        replayer = _GroupReplay(group, usage_by_team, as_of)
        replayer.run()
        result.warnings.extend(replayer.warnings)
        result.update(replayer.ledgers())
    return result


@MODERATE
@given(scenarios())
def test_lone_team_path_equals_the_generic_replay(scenario) -> None:
    """Without events every team is replayed on its own: the tuple-based fast path gives
    exactly the ledgers (packs, overage periods, warnings) of the generic group replay."""
    packs, _, daily_by_team, as_of = scenario
    usage = series_of(daily_by_team)
    fast = replay(packs, [], usage, as_of)
    assert fast == generic_replay(packs, [], usage, as_of)
    assert fast.warnings == generic_replay(packs, [], usage, as_of).warnings


@MODERATE
@given(scenarios())
def test_generic_replay_alone_still_equals_the_daily_oracle(scenario) -> None:
    """The generic path (which moves and merges need) keeps matching the oracle when it
    also replays the teams the fast path would take."""
    packs, events, daily_by_team, as_of = scenario
    result = generic_replay(packs, events, series_of(daily_by_team), as_of)
    states, _, skipped = naive_replay(packs, events, daily_by_team, as_of)
    expected = sorted(comparable(s) for s in states if s.start_date <= as_of)
    assert sorted(comparable(s) for ledger in result.values() for s in ledger.packs) == expected
    assert len(result.warnings) == skipped


@MODERATE
@given(scenarios())
def test_lone_replay_reads_usage_only_at_its_probe_days(scenario) -> None:
    """replay_lone() on the cumulative usage of lone_probe_days() (what the recompute
    fetches) gives the ledger a full daily series gives."""
    from flex.ledger import lone_pool, lone_probe_days, lone_starts, replay_lone

    packs, _, daily_by_team, as_of = scenario
    usage = series_of(daily_by_team)
    full = replay(packs, [], usage, as_of)
    for team in {p.team_id for p in packs}:
        items = [
            (p.end_date, p.quantity, p.order_number, p.start_date, p.seller_csn)
            for p in packs
            if p.team_id == team
        ]
        pool = lone_pool(items, as_of)
        if not pool:
            continue
        starts = lone_starts(pool, as_of)
        days = lone_probe_days(starts, as_of)
        assert days[: len(starts)] == [s - DAY for s in starts]
        assert days[len(starts) :] == [as_of - DAY * k for k in (1, 31, 181)]
        series = usage.get(team, UsageSeries())
        remaining, overage = replay_lone(pool, starts, [series.cum_at(x) for x in days])
        by_order = {s.order_number: s for s in full[team].packs}
        for item, left in zip(pool, remaining, strict=True):
            state = by_order[item[2]]
            assert left == state.remaining + state.expired
            assert item[1] - left == state.used
        assert overage == [(p.first_day, p.last_day, p.tokens) for p in full[team].overage_periods]
