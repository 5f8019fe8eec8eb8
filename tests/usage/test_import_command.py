"""`manage.py spp_import KIND FILE [--dry-run]`: output, exit status, recompute."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tests.conftest import committed_db
from tests.factories import make_partner, make_team
from tests.usage.factories import counts, write_csv

PURCHASES = ["order_number", "team_id", "seller_csn", "quantity", "start_date"]


def call(*args: str) -> str:
    out = StringIO()
    call_command("spp_import", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def recomputed(monkeypatch):
    """Records the synchronous recompute the command runs after its commit."""
    calls: list[list[int]] = []

    def fake(team_pks, as_of=None):
        calls.append(sorted(team_pks))
        return len(calls[-1])

    monkeypatch.setattr("flex.services.recompute_teams", fake)
    return calls


@committed_db
def test_success_prints_the_report_and_recomputes_the_affected_teams(tmp_path, recomputed):
    make_partner("5100000001", "Partner A")
    team = make_team("T-1", "Studio One")
    path = write_csv(
        tmp_path, "p.csv", PURCHASES, [["ORD-1", "T-1", "5100000001", "1000", "2025-06-12"]]
    )

    output = call("purchases", str(path))

    assert "purchases import — p.csv: imported 1 rows." in output
    assert "pack: 1 created, 0 updated, 0 unchanged" in output
    assert "Flex figures recomputed for 1 teams" in output
    assert recomputed == [[team.pk]]

    again = call("purchases", str(path))
    assert "all already imported; nothing changed" in again
    assert "pack: 0 created, 0 updated, 1 unchanged" in again
    assert recomputed == [[team.pk]]  # nothing changed: nothing to recompute


@committed_db
def test_a_bad_row_exits_1_with_every_bad_row_and_writes_nothing(tmp_path, recomputed):
    make_team("T-1", "Studio One")
    data = [
        ["ORD-1", "T-1", "5100000001", "1000", "2025-06-12"],
        ["ORD-2", "T-9", "5100000001", "0", "2025-06-12"],
        ["ORD-3", "T-1", "5100000001", "10", "someday"],
    ]
    path = write_csv(tmp_path, "p.csv", PURCHASES, data)
    out = StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("spp_import", "purchases", str(path), stdout=out)

    assert failure.value.returncode == 1
    assert "2 bad rows of 3; nothing was written" in str(failure.value)
    text = out.getvalue()
    assert "line 3: team_id: unknown team 'T-9'; quantity: must be positive, not 0" in text
    assert "line 4: start_date: bad date 'someday' (expected YYYY-MM-DD)" in text
    assert counts()["flex_pack"] == 0
    assert recomputed == []


@committed_db
def test_dry_run_reports_and_writes_nothing(tmp_path, recomputed):
    make_team("T-1", "Studio One")
    path = write_csv(
        tmp_path, "p.csv", PURCHASES, [["ORD-1", "T-1", "5100000001", "1000", "2025-06-12"]]
    )

    output = call("purchases", str(path), "--dry-run")

    assert "dry run of 1 rows; nothing was written" in output
    assert "Would do:" in output and "pack: 1 created" in output
    assert counts()["flex_pack"] == 0
    assert recomputed == []


@committed_db
def test_the_import_then_the_real_recompute_gives_fresh_figures(tmp_path, monkeypatch):
    """`spp_import … && export_flex …`: the snapshot is there when the command returns."""
    from flex.models import FlexSnapshot

    monkeypatch.setenv("SPP_TODAY", "2025-07-01")
    partner = make_partner("5100000001", "Partner A")
    make_team("T-1", "Studio One")
    path = write_csv(
        tmp_path, "p.csv", PURCHASES, [["ORD-1", "T-1", "5100000001", "1000", "2025-06-12"]]
    )

    call("purchases", str(path))

    snapshot = FlexSnapshot.unscoped.using("maint").get(partner=partner, as_of=date(2025, 7, 1))
    assert snapshot.flex_total_tokens == 1000


def test_the_process_exits_1_on_a_refused_file(tmp_path):
    path = tmp_path / "feed.txt"
    path.write_text("a,b\n1,2\n")
    env = {**os.environ, "SPP_DB_NAME": settings.DATABASES["default"]["NAME"]}

    done = subprocess.run(
        [sys.executable, "manage.py", "spp_import", "usage", str(path), "--skip-checks"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1, done.stderr
    assert "wrong file type .txt" in done.stdout


@committed_db
def test_a_failed_recompute_keeps_the_import_and_exits_2(tmp_path, monkeypatch):
    def broken(team_pks, as_of=None):
        raise RuntimeError("ledger exploded")

    monkeypatch.setattr("flex.services.recompute_teams", broken)
    make_team("T-1", "Studio One")
    path = write_csv(tmp_path, "p.csv", PURCHASES, [["ORD-1", "T-1", "ADSK", "1000", "2025-06-12"]])
    out = StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("spp_import", "purchases", str(path), stdout=out)

    assert failure.value.returncode == 2
    assert "the Flex recompute of 1 teams failed (ledger exploded)" in out.getvalue()
    assert counts()["flex_pack"] == 1
