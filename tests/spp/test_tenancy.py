"""The application lock: scoped managers refuse to run without a partner."""

from __future__ import annotations

import pytest

from spp.models import ApiKey, Membership
from spp.tenancy import NoPartnerError, current_partner_or_none, partner_scope
from tests.conftest import committed_db
from tests.factories import make_tenants


@pytest.mark.django_db
def test_scoped_manager_refuses_without_partner():
    with pytest.raises(NoPartnerError):
        list(Membership.objects.all())
    with pytest.raises(NoPartnerError):
        ApiKey.objects.count()


@committed_db
def test_partner_scope_sets_both_locks_and_resets_them():
    t = make_tenants()
    with partner_scope(t.b):
        assert current_partner_or_none() == t.b
        assert {m.user.email for m in Membership.objects.select_related("user")} == {
            "admin@b.example"
        }
        # The database lock alone also holds: the unscoped manager sees only B's rows.
        assert Membership.unscoped.count() == 1
    assert current_partner_or_none() is None
    assert Membership.unscoped.count() == 0


@committed_db
def test_scope_is_reset_when_the_block_fails():
    t = make_tenants()
    with pytest.raises(ZeroDivisionError):
        with partner_scope(t.a):
            1 / 0  # noqa: B018
    assert current_partner_or_none() is None
    assert Membership.unscoped.count() == 0
