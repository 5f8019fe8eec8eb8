"""seed_demo: deterministic demo data through the real feeds, every bucket populated."""

from __future__ import annotations

from django.core.management import call_command

from flex.models import FlexSnapshot, Pack
from spp.models import Membership
from teams.models import AccountAssignment
from tests.conftest import committed_db
from usage.models import UsageRow


def _fingerprint() -> list[tuple]:
    return sorted(
        FlexSnapshot.unscoped.using("maint").values_list(
            "partner__csn", "team__team_id", "as_of", "flex_total_tokens", "flex_tokens_balance"
        )
    )


@committed_db
def test_seed_demo_is_deterministic_and_shows_every_profile(monkeypatch, capsys):
    monkeypatch.setenv("SPP_TODAY", "2026-03-10")
    call_command("seed_demo", "--teams", "60", "--days", "120", "--seed", "3")
    out = capsys.readouterr().out
    assert "admin@northwind.example" in out and "spp-demo-2026" in out
    assert Membership.unscoped.using("maint").count() == 15
    assert AccountAssignment.unscoped.using("maint").exists()
    assert Pack.unscoped.using("maint").exclude(seller_partner=None).exists()
    assert Pack.unscoped.using("maint").filter(seller_partner=None).exists()  # off-platform
    assert not UsageRow.objects.using("maint").filter(user_key__contains="@").exists()

    today = FlexSnapshot.unscoped.using("maint").filter(as_of="2026-03-10", flex_total_tokens__gt=0)
    assert today.filter(flex_balance_rate__lt=0.2).exists()
    assert today.filter(flex_balance_rate__gte=0.2, flex_balance_rate__lt=0.3).exists()
    assert today.filter(flex_tokens_consumption=0).exists()
    assert today.filter(flex_additional_tokens__gt=0).exists()
    assert FlexSnapshot.unscoped.using("maint").filter(as_of="2026-03-09").exists()

    first = _fingerprint()
    call_command("seed_demo", "--if-empty")
    assert "already loaded" in capsys.readouterr().out
    call_command("seed_demo", "--teams", "60", "--days", "120", "--seed", "3")
    assert _fingerprint() == first
