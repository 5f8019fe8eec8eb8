"""Test data, written as the operator would: through the maintenance alias."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from spp.models import Membership, Partner, Role, User

PASSWORD = "correct horse battery staple"
MAINT = "maint"


def make_partner(csn: str, name: str, **extra) -> Partner:
    extra.setdefault("currency", "USD")
    extra.setdefault("token_price", Decimal("3.00"))
    return Partner.objects.using(MAINT).create(csn=csn, name=name, **extra)


def make_user(email: str, partner: Partner | None = None, role: str = Role.ADMIN, **extra) -> User:
    user = User.objects.db_manager(MAINT).create_user(email, PASSWORD, **extra)
    if partner is not None:
        Membership.unscoped.using(MAINT).create(partner=partner, user=user, role=role)
    return user


@dataclass
class Tenants:
    a: Partner
    b: Partner
    a_admin: User
    a_manager: User
    a_viewer: User
    b_admin: User


def make_tenants() -> Tenants:
    a = make_partner("5100000001", "Partner A")
    b = make_partner("5100000002", "Partner B", currency="EUR", token_price=Decimal("2.50"))
    return Tenants(
        a=a,
        b=b,
        a_admin=make_user("admin@a.example", a, Role.ADMIN, full_name="Ada Admin"),
        a_manager=make_user("am@a.example", a, Role.ACCOUNT_MANAGER, full_name="Amos Manager"),
        a_viewer=make_user("viewer@a.example", a, Role.VIEWER, full_name="Vera Viewer"),
        b_admin=make_user("admin@b.example", b, Role.ADMIN, full_name="Bea Admin"),
    )
