"""The audit's classification of reported charges (usage.audit), without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from usage import audit as a
from usage.metering import RateBook, Seat, Session

AUTOCAD, REVIT = 1, 2
RATES = RateBook([(AUTOCAD, date(2024, 1, 1), Decimal(7)), (REVIT, date(2024, 1, 1), Decimal(10))])
ANN, BOB = "ann", "bob"
D1, D2, D3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def s(start, end, *, user=ANN, product=AUTOCAD, version="2026", machine="PC-1"):
    return Session(user, product, version, machine, at(start), at(end))


def r(day, tokens=7, *, user=ANN, product=AUTOCAD, version="2026", id=None):
    return a.Reported(user, product, day, version, tokens, id)


def run(reported, sessions, seats=(), start=D1, end=D3):
    return a.audit(reported, sessions, RATES, seats, start=start, end=end)


def statuses(result) -> list[tuple]:
    return [
        (v.reported.day, v.reported.version, v.status, v.expected_tokens, v.at_stake)
        for v in result.verdicts
    ]


def test_charges_the_sessions_explain_are_expected():
    result = run(
        [r(D1), r(D2, product=REVIT, tokens=10)],
        [s("2026-03-02 08:00", "2026-03-02 17:00"),
         s("2026-03-03 09:00", "2026-03-03 10:00", product=REVIT)],
    )  # fmt: skip
    assert statuses(result) == [
        (D1, "2026", a.EXPECTED, 7, 0),
        (D2, "2026", a.EXPECTED, 10, 0),
    ]
    assert result.findings == [] and result.tokens_at_stake == 0
    assert result.reported_tokens == 17 and result.expected_tokens == 17


def test_a_session_across_midnight_charged_twice():
    result = run(
        [r(D1), r(D2)],
        [s("2026-03-02 20:00", "2026-03-03 01:30")],
    )
    assert statuses(result) == [
        (D1, "2026", a.EXPECTED, 7, 0),
        (D2, "2026", a.MIDNIGHT, 0, 7),
    ]
    assert result.findings[0].label == "Midnight double charge"
    assert len(result.findings[0].sessions) == 1


def test_a_relaunch_next_morning_inside_the_window_charged_again_is_midnight_too():
    result = run(
        [r(D1), r(D2)],
        [s("2026-03-02 15:00", "2026-03-02 18:00"), s("2026-03-03 09:00", "2026-03-03 11:00")],
    )
    assert [v.status for v in result.verdicts] == [a.EXPECTED, a.MIDNIGHT]


def test_a_sub_5_minute_launch_charged():
    result = run([r(D1)], [s("2026-03-02 16:00", "2026-03-02 16:03")])
    assert statuses(result) == [(D1, "2026", a.SHORT_LAUNCH, 0, 7)]


def test_two_versions_in_one_window():
    result = run(
        [r(D1, version="2025"), r(D1, version="2026")],
        [
            s("2026-03-02 09:00", "2026-03-02 12:00", version="2025"),
            s("2026-03-02 13:00", "2026-03-02 15:00", version="2026"),
        ],
    )
    assert statuses(result) == [
        (D1, "2025", a.EXPECTED, 7, 0),  # the version that opened the window
        (D1, "2026", a.TWO_VERSIONS, 0, 7),
    ]


def test_a_charge_under_a_named_user_seat():
    seats = [Seat(ANN, AUTOCAD, date(2026, 1, 1), date(2026, 12, 31))]
    result = run([r(D1)], [s("2026-03-02 09:00", "2026-03-02 12:00")], seats)
    assert statuses(result) == [(D1, "2026", a.SUBSCRIPTION, 0, 7)]
    # The seat comes first: even with no session at all, it is the seat's finding.
    assert run([r(D2)], [], seats).verdicts[0].status == a.SUBSCRIPTION


def test_a_charge_with_no_session_that_day():
    result = run(
        [r(D1), r(D2, user=BOB)],
        [s("2026-03-02 09:00", "2026-03-02 12:00"),  # Ann used it; Bob never did
         s("2026-03-03 09:00", "2026-03-03 12:00", product=REVIT, user=BOB)],
    )  # fmt: skip
    assert statuses(result) == [
        (D1, "2026", a.EXPECTED, 7, 0),
        (D2, "2026", a.NO_SESSION, 0, 7),
    ]


def test_unexplained_when_no_rule_applies():
    # Charged 9 tokens for a 7-token day; and the same version charged twice in a window.
    result = run(
        [r(D1, tokens=9), r(D2), r(D2, id=2)],
        [s("2026-03-02 09:00", "2026-03-02 10:00"), s("2026-03-03 11:00", "2026-03-03 12:00"),
         s("2026-03-03 13:00", "2026-03-03 14:00")],
    )  # fmt: skip
    assert statuses(result) == [
        (D1, "2026", a.UNEXPLAINED, 7, 2),
        (D2, "2026", a.EXPECTED, 7, 0),
        (D2, "2026", a.UNEXPLAINED, 0, 7),
    ]


def test_a_midnight_window_wins_over_a_short_launch_the_same_day():
    # The 3-minute launch on the 3rd lies inside the window of the 2nd: free because of
    # the window; the charge of the 3rd is the window's double charge.
    result = run(
        [r(D1), r(D2)],
        [s("2026-03-02 22:00", "2026-03-03 00:30"), s("2026-03-03 02:00", "2026-03-03 02:03")],
    )
    assert [v.status for v in result.verdicts] == [a.EXPECTED, a.MIDNIGHT]


def test_the_period_bounds_the_reported_and_the_expected_charges():
    result = run(
        [r(date(2026, 3, 1)), r(D1), r(date(2026, 3, 5))],
        [s("2026-03-01 08:00", "2026-03-01 09:00"), s("2026-03-02 09:00", "2026-03-02 10:00")],
    )
    assert [v.reported.day for v in result.verdicts] == [D1]
    assert [c.day for c in result.charges] == [D1]


def test_expected_charges_nobody_reported_are_information_only():
    result = run([], [s("2026-03-02 09:00", "2026-03-02 10:00")])
    assert result.verdicts == [] and result.findings == []
    assert [c.day for c in result.unreported] == [D1]


def test_two_machines_at_once_is_a_warning_with_no_tokens_at_stake():
    result = run(
        [r(D1)],
        [
            s("2026-03-02 09:00", "2026-03-02 12:00", machine="PC-1"),
            s("2026-03-02 10:00", "2026-03-02 11:00", machine="PC-2"),
        ],
    )
    assert [v.status for v in result.verdicts] == [a.EXPECTED]
    assert [(w.user, w.day, w.machines) for w in result.warnings] == [(ANN, D1, ("PC-1", "PC-2"))]


def test_totals_by_cause_list_every_cause_in_rule_order():
    result = run([r(D1), r(D2)], [s("2026-03-02 20:00", "2026-03-03 01:30")])
    totals = result.by_cause()
    assert [t.cause for t in totals] == list(a.CAUSES)
    assert [(t.cause, t.charges, t.tokens) for t in totals if t.charges] == [(a.MIDNIGHT, 1, 7)]


def test_session_text():
    assert (
        a.session_text(s("2026-03-02 20:00", "2026-03-03 01:30"), "Machine 3F2A")
        == "2026-03-02 20:00–2026-03-03 01:30 UTC · 2026 · Machine 3F2A"
    )
    assert a.session_text(s("2026-03-02 08:14", "2026-03-02 17:40", version="")) == (
        "2026-03-02 08:14–17:40 UTC"
    )
