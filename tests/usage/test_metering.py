"""The independent metering of SPEC §11, case by case and by properties.

Pure functions: no database. Times are UTC unless a case says otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from usage.metering import (
    CONTINUED,
    LAUNCH,
    RateBook,
    Seat,
    Session,
    charge_use,
    meter,
    runs,
    two_machines,
    use_within,
)

AUTOCAD, REVIT = 1, 2
RATES = RateBook([(AUTOCAD, date(2024, 1, 1), Decimal(7)), (REVIT, date(2024, 1, 1), Decimal(10))])
ANN, BOB = "ann", "bob"


def at(text: str) -> datetime:
    """'2026-03-02 08:00' in UTC, or with an explicit offset."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def session(start: str, end: str, *, user=ANN, product=AUTOCAD, version="2026", machine="PC-1"):
    return Session(user, product, version, machine, at(start), at(end))


def opens(charges) -> list[tuple[date, datetime, Decimal]]:
    return [(c.day, c.opens, c.tokens) for c in charges]


# ------------------------------------------------------------------ SPEC §11, rule by rule


def test_a_launch_opens_a_24_hour_window_charged_at_the_daily_rate():
    charges = meter([session("2026-03-02 08:00", "2026-03-02 17:00")], RATES)
    assert opens(charges) == [(date(2026, 3, 2), at("2026-03-02 08:00"), Decimal(7))]
    assert charges[0].cause == LAUNCH
    assert charges[0].closes == at("2026-03-03 08:00")


def test_launches_of_any_version_inside_the_window_are_free():
    charges = meter(
        [
            session("2026-03-02 08:00", "2026-03-02 12:00", version="2026"),
            session("2026-03-02 13:00", "2026-03-02 14:00", version="2025"),  # other version
            session("2026-03-02 15:00", "2026-03-02 18:00", version="2026"),  # re-launch
            session("2026-03-03 07:59", "2026-03-03 07:59:59", version="2025"),  # still inside
        ],
        RATES,
    )
    assert opens(charges) == [(date(2026, 3, 2), at("2026-03-02 08:00"), Decimal(7))]
    assert len(charges[0].sessions) == 4


def test_a_launch_at_the_window_end_opens_a_new_window():
    charges = meter(
        [
            session("2026-03-02 08:00", "2026-03-02 09:00"),
            session("2026-03-03 08:00", "2026-03-03 09:00"),  # exactly 24 h later
        ],
        RATES,
    )
    assert [c.opens for c in charges] == [at("2026-03-02 08:00"), at("2026-03-03 08:00")]
    assert [c.cause for c in charges] == [LAUNCH, LAUNCH]


def test_a_session_closed_within_5_minutes_is_free_and_opens_no_window():
    charges = meter(
        [
            session("2026-03-02 08:00", "2026-03-02 08:04"),  # 4 minutes: free
            session("2026-03-02 08:30", "2026-03-02 10:00"),  # opens the window
        ],
        RATES,
    )
    assert [c.opens for c in charges] == [at("2026-03-02 08:30")]
    assert meter([session("2026-03-02 08:00", "2026-03-02 08:05")], RATES) == []  # exactly 5
    assert len(meter([session("2026-03-02 08:00", "2026-03-02 08:05:01")], RATES)) == 1
    assert meter([session("2026-03-02 08:00", "2026-03-02 08:00")], RATES) == []  # zero length


def test_use_past_the_window_end_opens_a_new_window_and_a_new_charge():
    # 25 hours without closing: the second window opens when the first one ends.
    charges = meter([session("2026-03-02 08:00", "2026-03-03 09:00")], RATES)
    assert opens(charges) == [
        (date(2026, 3, 2), at("2026-03-02 08:00"), Decimal(7)),
        (date(2026, 3, 3), at("2026-03-03 08:00"), Decimal(7)),
    ]
    assert [c.cause for c in charges] == [LAUNCH, CONTINUED]
    # Three days open: three charges; a session ending exactly at the window end: one.
    assert len(meter([session("2026-03-02 08:00", "2026-03-05 07:00")], RATES)) == 3
    assert len(meter([session("2026-03-02 08:00", "2026-03-03 08:00")], RATES)) == 1


def test_an_earlier_longer_session_keeps_the_use_going_past_the_window_end():
    charges = meter(
        [
            session("2026-03-02 08:00", "2026-03-03 10:00", machine="PC-1"),
            session("2026-03-02 09:00", "2026-03-02 10:00", machine="PC-2"),
        ],
        RATES,
    )
    assert [(c.opens, c.cause, c.machine) for c in charges] == [
        (at("2026-03-02 08:00"), LAUNCH, "PC-1"),
        (at("2026-03-03 08:00"), CONTINUED, "PC-1"),
    ]


def test_a_named_user_seat_makes_the_charge_zero_but_keeps_the_window():
    seats = [Seat(ANN, AUTOCAD, date(2026, 3, 1), date(2026, 3, 2))]
    charges = meter(
        [
            session("2026-03-02 20:00", "2026-03-02 21:00"),  # under the seat
            session("2026-03-03 10:00", "2026-03-03 11:00"),  # inside that (free) window
            session("2026-03-03 21:00", "2026-03-03 22:00"),  # the seat has ended
            session("2026-03-02 20:00", "2026-03-02 21:00", product=REVIT),  # no seat for Revit
        ],
        RATES,
        seats,
    )
    assert [(c.product, c.day, c.tokens, c.seat) for c in charges] == [
        (AUTOCAD, date(2026, 3, 2), Decimal(0), True),
        (AUTOCAD, date(2026, 3, 3), Decimal(7), False),
        (REVIT, date(2026, 3, 2), Decimal(10), False),
    ]


def test_the_charge_is_the_catalog_rate_in_force_on_its_day():
    rates = RateBook(
        [
            (AUTOCAD, date(2024, 1, 1), Decimal(7)),
            (AUTOCAD, date(2026, 3, 3), Decimal("7.5")),
            (REVIT, date(2026, 6, 1), Decimal(10)),  # not yet in force
        ]
    )
    charges = meter(
        [
            session("2026-03-02 23:00", "2026-03-03 01:00"),  # opens on the 2nd: old rate
            session("2026-03-03 23:30", "2026-03-04 00:30"),  # opens on the 3rd: new rate
            session("2026-03-02 10:00", "2026-03-02 11:00", product=REVIT),
        ],
        rates,
    )
    assert [(c.product, c.day, c.tokens, c.rate) for c in charges] == [
        (AUTOCAD, date(2026, 3, 2), Decimal(7), Decimal(7)),
        (AUTOCAD, date(2026, 3, 3), Decimal("7.5"), Decimal("7.5")),
        (REVIT, date(2026, 3, 2), Decimal(0), None),  # no rate in force: 0, and said so
    ]


def test_a_charge_belongs_to_the_utc_day_its_window_opens_on():
    new_york = timezone(timedelta(hours=-5))
    evening = datetime(2026, 3, 2, 21, 30, tzinfo=new_york)  # 02:30 UTC on the 3rd
    charges = meter(
        [Session(ANN, AUTOCAD, "2026", "PC-1", evening, evening + timedelta(hours=2))], RATES
    )
    assert charges[0].day == date(2026, 3, 3)
    # Opened at 23:50 UTC: the whole day's use after midnight is on the 2nd's charge.
    late = meter([session("2026-03-02 23:50", "2026-03-03 06:00")], RATES)
    assert [c.day for c in late] == [date(2026, 3, 2)]


def test_a_session_split_at_midnight_is_one_session():
    whole = meter([session("2026-03-02 23:58", "2026-03-03 00:30")], RATES)
    split = meter(
        [
            session("2026-03-02 23:58", "2026-03-03 00:00"),  # 2 minutes, alone it is free
            session("2026-03-03 00:00", "2026-03-03 00:30"),
        ],
        RATES,
    )
    assert opens(whole) == opens(split) == [(date(2026, 3, 2), at("2026-03-02 23:58"), 7)]


def test_users_and_products_are_metered_apart():
    charges = meter(
        [
            session("2026-03-02 08:00", "2026-03-02 10:00"),
            session("2026-03-02 09:00", "2026-03-02 10:00", user=BOB),
            session("2026-03-02 09:00", "2026-03-02 10:00", product=REVIT),
        ],
        RATES,
    )
    assert [(c.user, c.product, c.tokens) for c in charges] == [
        (ANN, AUTOCAD, 7),
        (ANN, REVIT, 10),
        (BOB, AUTOCAD, 7),
    ]


def test_runs_merge_touching_and_overlapping_sessions_of_one_stream_only():
    merged = runs(
        [
            session("2026-03-02 08:00", "2026-03-02 09:00"),
            session("2026-03-02 09:00", "2026-03-02 10:00"),  # touches
            session("2026-03-02 09:30", "2026-03-02 10:30"),  # overlaps
            session("2026-03-02 11:00", "2026-03-02 12:00"),  # a gap: another run
            session("2026-03-02 08:00", "2026-03-02 09:00", machine="PC-2"),  # other stream
        ]
    )
    assert [(r.machine, r.start, r.end, len(r.sessions)) for r in merged] == [
        ("PC-1", at("2026-03-02 08:00"), at("2026-03-02 10:30"), 3),
        ("PC-2", at("2026-03-02 08:00"), at("2026-03-02 09:00"), 1),
        ("PC-1", at("2026-03-02 11:00"), at("2026-03-02 12:00"), 1),
    ]


def test_use_within_a_window_counts_overlapping_time_once():
    sessions = [
        session("2026-03-02 08:00", "2026-03-02 08:10"),
        session("2026-03-02 08:05", "2026-03-02 08:20", machine="PC-2"),
        session("2026-03-02 09:00", "2026-03-02 09:03"),
    ]
    assert use_within(sessions, at("2026-03-02 08:00"), at("2026-03-03 08:00")) == timedelta(
        minutes=23
    )
    assert charge_use(meter(sessions, RATES)[0]) == timedelta(minutes=23)


def test_two_machines_at_once_is_found_across_versions_but_not_one_after_the_other():
    overlaps = two_machines(
        [
            session("2026-03-02 08:00", "2026-03-02 12:00", machine="PC-1", version="2026"),
            session("2026-03-02 11:00", "2026-03-02 13:00", machine="LAPTOP", version="2025"),
            session("2026-03-02 13:00", "2026-03-02 14:00", machine="PC-1"),  # after: fine
            session("2026-03-02 08:00", "2026-03-02 12:00", machine="PC-9", user=BOB),
        ]
    )
    assert [(o.user, o.start, o.end, o.machines) for o in overlaps] == [
        (ANN, at("2026-03-02 11:00"), at("2026-03-02 12:00"), ("PC-1", "LAPTOP"))
    ]
    assert overlaps[0].day == date(2026, 3, 2)
    assert overlaps[0].duration == timedelta(hours=1)


# ------------------------------------------------------------------ properties

BASE = datetime(2026, 3, 1, tzinfo=UTC)
MINUTES_SPAN = 4 * 24 * 60
FAST = settings(max_examples=120, deadline=None)


def minute(n: int) -> datetime:
    return BASE + timedelta(minutes=n)


@st.composite
def sessions_strategy(draw, min_size: int = 0, max_size: int = 7):
    count = draw(st.integers(min_size, max_size))
    result = []
    for _ in range(count):
        start = draw(st.integers(0, MINUTES_SPAN))
        length = draw(
            st.one_of(st.integers(0, 8), st.integers(9, 600), st.integers(601, 3 * 24 * 60))
        )
        result.append(
            Session(
                ANN,
                AUTOCAD,
                draw(st.sampled_from(["2025", "2026"])),
                draw(st.sampled_from(["PC-1", "PC-2"])),
                minute(start),
                minute(start + length),
            )
        )
    return result


def oracle(sessions: list[Session]) -> list[datetime]:
    """Window openings found minute by minute, independently of usage.metering: the
    minutes each stream is open; blocks of consecutive minutes longer than 5 are use; a
    window opens at each used minute not covered by the previous window."""
    streams: dict[tuple, set[int]] = {}
    for s in sessions:
        first = int((s.start - BASE).total_seconds() // 60)
        last = int((s.end - BASE).total_seconds() // 60)
        streams.setdefault(s.stream, set()).update(range(first, last))
    used: set[int] = set()
    for minutes in streams.values():
        ordered = sorted(minutes)
        block: list[int] = []
        for m in ordered + [None]:
            if block and (m is None or m != block[-1] + 1):
                if len(block) > 5:
                    used.update(block)
                block = []
            if m is not None:
                block.append(m)
    windows, covered_until = [], None
    for m in sorted(used):
        if covered_until is None or m >= covered_until:
            windows.append(minute(m))
            covered_until = m + 24 * 60
    return windows


@FAST
@given(sessions_strategy())
def test_windows_are_the_greedy_cover_found_minute_by_minute(sessions):
    assert [c.opens for c in meter(sessions, RATES)] == oracle(sessions)


@FAST
@given(
    start=st.integers(0, MINUTES_SPAN),
    length=st.integers(6, 24 * 60),
    relaunches=st.lists(
        st.tuples(
            st.integers(0, 24 * 60 - 1),
            st.integers(0, 24 * 60),
            st.sampled_from(["2024", "2025", "2026"]),
            st.sampled_from(["PC-1", "PC-2", "PC-3"]),
        ),
        max_size=8,
    ),
)
def test_one_charge_per_open_window_whatever_the_versions_and_relaunches(start, length, relaunches):
    first = Session(ANN, AUTOCAD, "2026", "PC-1", minute(start), minute(start + length))
    others = [
        Session(
            ANN,
            AUTOCAD,
            version,
            machine,
            minute(start + offset),
            minute(start + min(offset + duration, 24 * 60)),
        )
        for offset, duration, version, machine in relaunches
    ]
    charges = meter([first, *others], RATES)
    assert [(c.opens, c.tokens) for c in charges] == [(minute(start), Decimal(7))]
    assert len(charges[0].sessions) == 1 + len(others)


@FAST
@given(sessions_strategy(), st.integers(0, MINUTES_SPAN), st.integers(0, 5))
def test_a_session_under_5_minutes_never_charges(sessions, start, length):
    short = Session(ANN, AUTOCAD, "2026", "KIOSK", minute(start), minute(start + length))
    assert meter([short], RATES) == []
    # Added to any log (on a machine of its own, so it is a session of its own), it
    # changes no charge.
    assert [c.key for c in meter([*sessions, short], RATES)] == [
        c.key for c in meter(sessions, RATES)
    ]


def split_at_midnights(session: Session) -> list[Session]:
    pieces, start = [], session.start
    midnight = datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), UTC)
    while midnight < session.end:
        pieces.append(Session(*session.stream, start, midnight))
        start, midnight = midnight, midnight + timedelta(days=1)
    pieces.append(Session(*session.stream, start, session.end))
    return pieces


@FAST
@given(sessions_strategy(min_size=1))
def test_splitting_a_session_at_midnight_never_changes_the_charges(sessions):
    split = [piece for s in sessions for piece in split_at_midnights(s)]
    assert [c.key for c in meter(split, RATES)] == [c.key for c in meter(sessions, RATES)]


@FAST
@given(sessions_strategy(min_size=1), st.data())
def test_charges_are_monotone_in_session_length(sessions, data):
    index = data.draw(st.integers(0, len(sessions) - 1))
    extra = data.draw(st.integers(1, 3 * 24 * 60))
    longer = list(sessions)
    s = longer[index]
    longer[index] = Session(*s.stream, s.start, s.end + timedelta(minutes=extra))
    before, after = meter(sessions, RATES), meter(longer, RATES)
    assert len(after) >= len(before)
    assert sum(c.tokens for c in after) >= sum(c.tokens for c in before)
