"""FilterSets keep per-request choices even after the API schema has been generated."""

from __future__ import annotations

from datetime import date

from teams.models import AccountAssignment
from tests.conftest import committed_db
from tests.factories import make_snapshot, make_team


@committed_db
def test_manager_filter_works_after_the_schema_was_served(client_a, tenants):
    team = make_team("T-MGR", "Managed team", linked=[tenants.a])
    AccountAssignment.unscoped.using("maint").create(
        partner=tenants.a, account=team.account, account_manager=tenants.a_manager
    )
    make_snapshot(tenants.a, team, date(2026, 3, 10), flex_tokens_balance=100)
    assert client_a.get("/api/schema/").status_code == 200  # caches filter fields, once

    page = client_a.get(f"/flex/?manager={tenants.a_manager.pk}")
    assert page.status_code == 200
    assert "Managed team" in page.content.decode()
    assert "Select a valid choice" not in page.content.decode()

    leads = client_a.get(f"/token-balance/?manager={tenants.a_manager.pk}")
    assert leads.status_code == 200
    assert "Select a valid choice" not in leads.content.decode()
