"""The recompute, end to end through PostgreSQL: packs and usage in, snapshots out."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from flex import services
from flex.models import FlexSnapshot, Pack, RecomputeRun, TokenEvent
from teams.models import Team, TeamLink
from tests.conftest import committed_db
from tests.factories import add_usage, make_account, make_pack, make_partner, make_team

pytestmark = committed_db

D = date(2026, 3, 10)


def snap(partner, team, as_of=D) -> FlexSnapshot:
    return FlexSnapshot.unscoped.using("maint").get(partner=partner, team=team, as_of=as_of)


def spread(first: date, days: int, per_day: int) -> dict:
    return {first + timedelta(days=i): per_day for i in range(days)}


def test_rolling_example_of_spec_4():
    p = make_partner("5200000001", "P")
    team = make_team("T-ROLL", "Rolling", linked=[p])
    make_pack(team, "P-1", p, 1000, date(2025, 3, 11))
    make_pack(team, "P-2", p, 1000, date(2025, 3, 20))
    make_pack(team, "X-1", "9999999999", 1000, date(2025, 6, 1))  # another supplier

    services.recompute(D)
    s = snap(p, team)
    assert (s.flex_start_date, s.flex_purchased_tokens) == (date(2025, 3, 11), 2000)
    assert (s.flex_additional_tokens, s.flex_total_tokens) == (1000, 3000)

    services.recompute(D + timedelta(days=2))
    s = snap(p, team, D + timedelta(days=2))
    assert (s.flex_start_date, s.flex_purchased_tokens) == (date(2025, 3, 20), 1000)
    assert (s.flex_additional_tokens, s.flex_total_tokens) == (1000, 2000)


def test_projected_end_worked_example_of_spec_4():
    """Balance 766, rate_30 9.33 (280 tokens in D-30 ... D-1), latest end 2027-01-04."""
    p = make_partner("5200000001", "P")
    team = make_team("T-PROJ", "Projection", linked=[p])
    make_pack(team, "P-1", p, 1046, date(2026, 1, 5), date(2027, 1, 4))
    add_usage(team, spread(D - timedelta(days=30), 28, 10))
    services.recompute(D)
    s = snap(p, team)
    assert s.flex_consumption_rate_30 == pytest.approx(280 / 30)
    assert s.flex_tokens_balance == 766
    assert s.flex_latest_end_date == date(2027, 1, 4)
    assert s.flex_projected_end_date == date(2026, 5, 31)


def test_zero_rate_projects_the_latest_end():
    p = make_partner("5200000001", "P")
    team = make_team("T-IDLE", "Idle", linked=[p])
    make_pack(team, "P-1", p, 100, date(2025, 11, 26), date(2026, 11, 25))
    add_usage(team, {date(2025, 12, 1): 28})
    services.recompute(D)
    s = snap(p, team)
    assert (s.flex_tokens_balance, s.flex_consumption_rate_30) == (72, 0)
    assert s.flex_projected_end_date == date(2026, 11, 25)


def test_each_linked_partner_gets_its_own_row_and_prices_stay_private():
    a = make_partner("5200000001", "A")
    b = make_partner("5200000002", "B")
    team = make_team("T-SHARED", "Shared")
    make_pack(team, "A-1", a, 600, date(2025, 9, 1), unit_price=3, currency="USD")
    make_pack(team, "B-1", b, 400, date(2025, 10, 1), unit_price=2, currency="EUR")
    services.recompute(D)
    sa, sb = snap(a, team), snap(b, team)
    assert (sa.flex_purchased_tokens, sa.flex_additional_tokens) == (600, 400)
    assert (sb.flex_purchased_tokens, sb.flex_additional_tokens) == (400, 600)
    assert sa.flex_total_tokens == sb.flex_total_tokens == 1000
    before = {f: getattr(sa, f) for f in services.SNAPSHOT_FIELDS}
    Pack.unscoped.using("maint").filter(order_number="B-1").update(unit_price=99, discount_pct=50)
    services.recompute(D)
    assert {f: getattr(snap(a, team), f) for f in services.SNAPSHOT_FIELDS} == before


def test_recompute_is_idempotent_and_drops_rows_of_unlinked_partners():
    a = make_partner("5200000001", "A")
    b = make_partner("5200000002", "B")
    team = make_team("T-IDEM", "Idempotent", linked=[b])
    make_pack(team, "A-1", a, 500, date(2025, 9, 1))
    add_usage(team, spread(date(2026, 1, 1), 60, 3))
    services.recompute(D)
    first = sorted(
        FlexSnapshot.unscoped.using("maint").values_list("partner_id", *services.SNAPSHOT_FIELDS)
    )
    services.recompute(D)
    again = sorted(
        FlexSnapshot.unscoped.using("maint").values_list("partner_id", *services.SNAPSHOT_FIELDS)
    )
    assert first == again and len(first) == 2
    TeamLink.unscoped.using("maint").filter(partner=b).delete()
    services.recompute(D)
    assert list(FlexSnapshot.unscoped.using("maint").values_list("partner_id", flat=True)) == [a.pk]


def test_teams_that_never_had_a_pack_get_no_snapshot():
    a = make_partner("5200000001", "A")
    team = make_team("T-NONE", "No packs", linked=[a])
    add_usage(team, spread(date(2026, 1, 1), 10, 5))
    services.recompute(D)
    assert not FlexSnapshot.unscoped.using("maint").filter(team=team).exists()


def test_customer_is_the_account_name_only_with_an_accepted_quote_pack_in_the_pool():
    a = make_partner("5200000001", "A")
    team = make_team("T-CUST", "Customer")
    make_pack(team, "A-FEED", a, 500, date(2025, 9, 1))
    services.recompute(D)
    assert snap(a, team).customer == "n/a"
    make_pack(team, "A-QUOTE", a, 500, date(2026, 3, 1), source=Pack.Source.QUOTE)
    services.recompute(D)
    assert snap(a, team).customer == team.account.name
    services.recompute(date(2027, 3, 5))  # the quote pack has expired
    assert snap(a, team, date(2027, 3, 5)).customer == "n/a"


def test_a_move_recomputes_both_teams_together():
    a = make_partner("5200000001", "A")
    old = make_team("T-OLD", "Old", linked=[a])
    new = make_team("T-NEW", "New", linked=[a])
    pack = make_pack(old, "A-1", a, 1000, date(2025, 9, 1))
    add_usage(old, spread(date(2025, 9, 1), 100, 2))  # 200 used before the move
    TokenEvent.unscoped.using("maint").create(
        kind="move", date=date(2026, 1, 1), pack=pack, from_team=old, to_team=new
    )
    assert services.recompute_teams([new.pk], D) == 2
    assert snap(a, new).flex_total_tokens == 800
    assert snap(a, new).flex_tokens_balance == 800
    assert snap(a, old).flex_total_tokens == 0


def test_command_recomputes_one_team_and_rejects_bad_input(capsys):
    a = make_partner("5200000001", "A")
    team = make_team("T-CMD", "Command", linked=[a])
    make_pack(team, "A-1", a, 100, date(2025, 9, 1))
    call_command("recompute_flex", "--as-of", "2026-03-10", "--team", "T-CMD")
    assert "recomputed 1 teams, 1 snapshots as of 2026-03-10" in capsys.readouterr().out
    assert snap(a, team).flex_total_tokens == 100
    with pytest.raises(CommandError, match="unknown team"):
        call_command("recompute_flex", "--team", "NOPE")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("recompute_flex", "--as-of", "10/03/2026")


def test_two_recomputes_at_once_give_the_same_rows():
    a = make_partner("5200000001", "A")
    _many_teams(a, 30)
    errors = []

    def run():
        try:
            services.recompute(D)
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert FlexSnapshot.unscoped.using("maint").count() == 30


def test_queued_recompute_runs_on_a_real_celery_worker():
    from celery.contrib.testing.worker import start_worker
    from django.db import transaction

    from flex.tasks import queue_recompute
    from spp.celery import app

    a = make_partner("5200000001", "A")
    team = make_team("T-CELERY", "Celery", linked=[a])
    make_pack(team, "A-1", a, 100, date(2025, 9, 1))
    with start_worker(app, perform_ping_check=False, queues=[app.conf.task_default_queue]):
        with transaction.atomic(using="maint"):
            queue_recompute([team.pk])
        for _ in range(100):
            if FlexSnapshot.unscoped.using("maint").filter(team=team).exists():
                break
            threading.Event().wait(0.1)
    assert FlexSnapshot.unscoped.using("maint").filter(team=team, partner=a).exists()


def _many_teams(partner, count: int) -> None:
    for i in range(count):
        team = make_team(f"T-{i:03}", f"Team {i}", linked=[partner])
        make_pack(team, f"A-{i}", partner, 100 + i, date(2025, 9, 1))
        add_usage(team, spread(date(2026, 2, 1), 20, i % 4))


def _rows() -> list[tuple]:
    return sorted(
        FlexSnapshot.unscoped.using("maint").values_list("team_id", *services.SNAPSHOT_FIELDS)
    )


def test_parallel_recompute_gives_the_rows_of_a_sequential_one(monkeypatch):
    a = make_partner("5200000001", "A")
    _many_teams(a, 25)
    monkeypatch.setattr(services, "CHUNK_TEAMS", 4)
    assert len(list(services.team_chunks())) == 7
    result = services.recompute(D, workers=2)
    assert (result.teams, result.snapshots) == (25, 25)
    parallel = _rows()
    FlexSnapshot.unscoped.using("maint").all().delete()
    services.recompute(D, workers=1)
    assert _rows() == parallel


def test_nightly_task_fans_out_chunks_to_the_workers(monkeypatch):
    from celery.contrib.testing.worker import start_worker

    from flex.tasks import recompute_all
    from spp.celery import app

    a = make_partner("5200000001", "A")
    _many_teams(a, 12)
    monkeypatch.setattr(services, "CHUNK_TEAMS", 5)
    with start_worker(app, perform_ping_check=False, queues=[app.conf.task_default_queue]):
        outcome = recompute_all.delay("2026-03-10").get(timeout=60)
        assert outcome == {"as_of": "2026-03-10", "chunks": 3}
        for _ in range(150):
            if services.last_full_run() == D:
                break
            threading.Event().wait(0.1)
    assert FlexSnapshot.unscoped.using("maint").filter(as_of=D).count() == 12
    run = RecomputeRun.objects.using("maint").get(as_of=D)
    assert (run.teams, run.snapshots) == (12, 12) and run.finished_at is not None


def test_pages_show_the_last_complete_run_not_a_lone_newer_day(monkeypatch):
    """An event after midnight, before the nightly run, recomputes its team for today and
    for the date the pages show; the pages stay on that date until the full run ends."""
    from flex.selectors import latest_as_of
    from spp.tenancy import partner_scope

    a = make_partner("5200000001", "A")
    _many_teams(a, 3)
    services.recompute(D)  # the full run of D
    monkeypatch.setenv("SPP_TODAY", "2026-03-11")
    team = make_team("T-LATE", "Late", linked=[a])
    make_pack(team, "A-LATE", a, 500, date(2026, 3, 1))
    assert services.recompute_teams([team.pk]) == 1
    assert set(
        FlexSnapshot.unscoped.using("maint").filter(team=team).values_list("as_of", flat=True)
    ) == {D, D + timedelta(days=1)}
    with partner_scope(a):
        assert latest_as_of() == D
    services.recompute(D + timedelta(days=1))
    with partner_scope(a):
        assert latest_as_of() == D + timedelta(days=1)


# ------------------------------------------------ the recompute's fast path, end to end


def test_usage_of_d_counts_for_the_balance_not_for_the_rates():
    """The probe of D also gives the running total of D-1 (less D's own tokens), and a
    probe with no usage in the week before its day falls back to the open-ended one.

    1,000 tokens from 2025-09-01 (ends 2026-08-31). Used: 7 on 2025-08-15 (before the
    pack: overage), 100 on 2025-10-01, 50 on 2026-02-01, 30 on D-1, 20 on D. Balance 800.
    D-30 ... D-1 holds 30 (rate_30 1.00; D's 20 is not in it), D-180 ... D-1 holds 180
    (rate_180 1.00). Projected end D + 800, capped at 2026-08-31. The day before the
    pack's start and D-181 have no usage in the week before them: the open-ended probe
    answers 7; D-365 has none at all (0)."""
    p = make_partner("5200000001", "P")
    team = make_team("T-EDGE", "Edge", linked=[p])
    make_pack(team, "P-1", p, 1000, date(2025, 9, 1))
    add_usage(
        team,
        {
            date(2025, 8, 15): 7,
            date(2025, 10, 1): 100,
            date(2026, 2, 1): 50,
            D - timedelta(days=1): 30,
            D: 20,
        },
    )
    services.recompute(D)
    s = snap(p, team)
    assert (s.flex_total_tokens, s.flex_tokens_balance, s.flex_tokens_consumption) == (
        1000,
        800,
        200,
    )
    assert (s.flex_consumption_rate_30, s.flex_consumption_rate_180) == (1.0, 1.0)
    assert s.flex_projected_end_date == date(2026, 8, 31)
    assert s.flex_balance_rate == 0.8
    assert s.overage_tokens == 7


def test_lone_teams_and_a_moved_pair_in_one_chunk():
    """One chunk holds teams on the fast path and a move group on the generic one."""
    a = make_partner("5200000001", "A")
    lone = make_team("T-LONE", "Lone", linked=[a])
    make_pack(lone, "L-1", a, 500, date(2025, 9, 1))
    add_usage(lone, spread(date(2026, 1, 1), 10, 5))
    old = make_team("T-OLD", "Old", linked=[a])
    new = make_team("T-NEW", "New", linked=[a])
    pack = make_pack(old, "A-1", a, 1000, date(2025, 9, 1))
    add_usage(old, spread(date(2025, 9, 1), 100, 2))
    add_usage(new, spread(date(2026, 2, 1), 10, 3))
    TokenEvent.unscoped.using("maint").create(
        kind="move", date=date(2026, 1, 1), pack=pack, from_team=old, to_team=new
    )
    assert len(list(services.team_chunks())) == 1
    result = services.recompute(D)
    assert (result.teams, result.snapshots) == (3, 3)
    assert (snap(a, lone).flex_total_tokens, snap(a, lone).flex_tokens_balance) == (500, 450)
    assert (snap(a, new).flex_total_tokens, snap(a, new).flex_tokens_balance) == (800, 770)
    assert snap(a, old).flex_total_tokens == 0


def test_customer_names_survive_the_copy_format():
    """Snapshots are written by COPY in text format: a name with a tab, a backslash or a
    line break must come back unchanged."""
    a = make_partner("5200000001", "A")
    name = "Tab\there \\ back\\slash\nnew line\r"
    account = make_account("C-ODD", name)
    team = make_team("T-ODD", "Odd", account=account, linked=[a])
    make_pack(team, "A-Q", a, 500, date(2026, 3, 1), source=Pack.Source.QUOTE)
    services.recompute(D)
    assert snap(a, team).customer == name


def test_a_recompute_leaves_the_garbage_collector_as_it_found_it():
    import gc

    a = make_partner("5200000001", "A")
    _many_teams(a, 3)
    assert gc.isenabled()
    services.recompute(D)
    assert gc.isenabled()
    gc.disable()
    try:
        services.recompute(D)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_invalid_pack_is_skipped_with_a_warning_and_its_team_still_computed():
    """A pack that ends before it starts sends its team through the generic replay, which
    skips the pack with a warning; the team's valid pack still counts."""
    a = make_partner("5200000001", "A")
    team = make_team("T-BAD", "Bad", linked=[a])
    make_pack(team, "A-OK", a, 400, date(2025, 9, 1))
    make_pack(team, "A-BAD", a, 999, date(2026, 1, 1), date(2025, 12, 1))
    other = make_team("T-FINE", "Fine", linked=[a])
    make_pack(other, "A-FINE", a, 300, date(2025, 9, 1))
    result = services.recompute(D)
    assert result.warnings == ["pack A-BAD: ends before it starts, skipped"]
    assert snap(a, team).flex_total_tokens == 400
    assert snap(a, other).flex_total_tokens == 300


def test_chunks_keep_move_groups_whole_and_halve_the_tail(monkeypatch):
    a = make_partner("5200000001", "A")
    _many_teams(a, 25)
    teams = list(Team.unscoped.using("maint").order_by("pk"))
    first, last = teams[0], teams[-1]
    monkeypatch.setattr(services, "CHUNK_TEAMS", 4)
    assert [len(c) for c in services.team_chunks()] == [4, 4, 4, 4, 4, 4, 1]
    assert [len(c) for c in services.team_chunks(workers=2)] == [4, 4, 4, 4, 4, 2, 2, 1]
    pack = Pack.unscoped.using("maint").get(team=first)
    TokenEvent.unscoped.using("maint").create(
        kind="move", date=date(2026, 1, 1), pack=pack, from_team=first, to_team=last
    )
    for workers in (1, 2):
        chunks = services.team_chunks(workers=workers)
        assert sorted(pk for c in chunks for pk in c) == sorted(
            Team.unscoped.using("maint").values_list("pk", flat=True)
        )
        (holding,) = [c for c in chunks if first.pk in c]
        assert last.pk in holding


def test_the_closing_analyze_waits_out_a_lock_in_short_attempts():
    """The ANALYZE after a full run must not sit in one long lock wait (that is what makes
    PostgreSQL cancel a running autovacuum after deadlock_timeout): it retries in short
    attempts and runs as soon as the lock is free."""
    import psycopg

    a = make_partner("5200000001", "A")
    _many_teams(a, 2)
    settings = connections["maint"].get_connection_params()
    holder = psycopg.connect(**settings)
    holder.execute("LOCK TABLE flex_flexsnapshot IN SHARE UPDATE EXCLUSIVE MODE")
    release = threading.Timer(0.5, holder.commit)
    release.start()
    started = time.perf_counter()
    try:
        services.recompute(D)
    finally:
        release.join()
        holder.close()
    assert 0.4 < time.perf_counter() - started < 5
    assert services.last_full_run() == D
