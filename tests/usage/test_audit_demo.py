"""The demo's session logs (usage.demo.seed_sessions): every planted discrepancy is found
by the audit, and nothing else; the seeding is idempotent.

A small demo world (seed_demo: 2 partners, 14 teams, 150 days), then the sessions.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from spp.models import Partner
from spp.tenancy import partner_scope
from teams.models import Team, TeamLink
from tests.conftest import committed_db
from usage import audit, ranges, selectors
from usage.demo import TWO_MACHINES, seed_sessions
from usage.imports.common import MAINT

pytestmark = committed_db

D = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


@pytest.fixture
def demo(tmp_path):
    call_command("seed_demo", partners=2, teams=14, days=150, seed=7, stdout=open("/dev/null", "w"))
    return seed_sessions(7, D, teams=6, recompute="none")


def audit_of(team_id: str, first: date, last: date):
    """The audit as the web page computes it, for a partner linked to the team (RLS)."""
    team = Team.unscoped.using(MAINT).get(team_id=team_id)
    link = TeamLink.unscoped.using(MAINT).filter(team=team).order_by("partner_id").first()
    partner = Partner.objects.using(MAINT).get(pk=link.partner_id)
    with partner_scope(partner):
        linked = Team.objects.get(team_id=team_id)
        found = selectors.team_audit(
            linked, ranges.custom(first, last), selectors.team_labels(linked)
        )
        names = selectors.product_names(
            {v.reported.product for v in found.result.verdicts}
            | {w.product for w in found.result.warnings}
        )
    return found, names


def test_every_planted_discrepancy_is_found_and_nothing_else(demo):
    assert len(demo.teams) == 6
    assert (demo.first, demo.last) == (date(2026, 2, 10), date(2026, 3, 9))
    assert sorted(p.kind for p in demo.findings) == sorted(
        [audit.MIDNIGHT, audit.SHORT_LAUNCH, audit.TWO_VERSIONS, audit.SUBSCRIPTION,
         audit.NO_SESSION, audit.MIDNIGHT, audit.NO_SESSION]
    )  # fmt: skip
    assert [p.kind for p in demo.warnings] == [TWO_MACHINES]
    planted = {(p.team_id, p.kind, p.user_key, p.product, p.day) for p in demo.findings}
    warned = {(p.team_id, p.user_key, p.product, p.day) for p in demo.warnings}

    found, warnings, clean_days = set(), set(), 0
    for team_id in demo.teams:
        result, names = audit_of(team_id, demo.first, demo.last)
        assert result.coverage is not None
        for verdict in result.result.findings:
            reported = verdict.reported
            found.add(
                (team_id, verdict.status, reported.user, names[reported.product], reported.day)
            )
            assert verdict.at_stake == reported.tokens  # each planted charge is wholly wrong
        for overlap in result.result.warnings:
            warnings.add((team_id, overlap.user, names[overlap.product], overlap.day))
        clean_days += sum(1 for v in result.result.verdicts if not v.is_finding)
        assert result.result.unreported == []  # every expected charge is reported
    assert found == planted
    assert warnings == warned
    assert clean_days > 100  # and the rest of the report is exactly the expected charges


def test_the_seeding_is_idempotent(demo):
    again = seed_sessions(7, D, teams=6, recompute="none")
    assert again.teams == demo.teams
    assert again.findings == demo.findings and again.warnings == demo.warnings
    assert [r.changed for r in again.reports] == [False] * len(again.reports)


def test_the_demo_admin_sees_the_findings_on_the_audit_page(demo, client):
    first_team = demo.teams[0]
    assert (
        TeamLink.unscoped.using(MAINT)
        .filter(team__team_id=first_team, partner__csn="5101234567")
        .exists()
    )
    assert client.login(email="admin@northwind.example", password="spp-demo-2026")
    response = client.get(f"/teams/{first_team}/audit/")
    assert response.status_code == 200
    assert response.context["finding_count"] == 5
    assert len(response.context["warnings"]) == 1
    advisor = client.get(f"/teams/{first_team}/advisor/")
    sessions = advisor.context["advice"].sessions
    assert sessions is not None and sessions.off_hours and sessions.short
