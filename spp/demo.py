"""Demo partners and people (the tenancy part of `manage.py seed_demo`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from spp.models import Membership, Partner, Role, User

DEMO_PASSWORD = "spp-demo-2026"
OPERATOR_EMAIL = "operator@spp.example"

PARTNERS = [
    ("5101234567", "Northwind CAD", "USD", Decimal("3.00"), "northwind"),
    ("5107654321", "Summit Design Solutions", "EUR", Decimal("2.85"), "summit"),
    ("5109988776", "Atlas BIM Partners", "GBP", Decimal("2.40"), "atlas"),
    ("5105550101", "Cobalt Engineering Supply", "USD", Decimal("3.10"), "cobalt"),
    ("5105550202", "Meridian Digital", "EUR", Decimal("2.95"), "meridian"),
]

PEOPLE = [
    ("admin", "Alex Admin", Role.ADMIN),
    ("sales", "Sam Sales", Role.SALES_MANAGER),
    ("am1", "Avery Morgan", Role.ACCOUNT_MANAGER),
    ("am2", "Jordan Lee", Role.ACCOUNT_MANAGER),
    ("viewer", "Vic Viewer", Role.VIEWER),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    partner: str


def seed_people(partner_count: int = 3, using: str = "maint") -> list[DemoLogin]:
    """Partners with an admin, a sales manager, two account managers and a viewer each."""
    logins: list[DemoLogin] = []
    with transaction.atomic(using=using):
        operator, created = User.objects.db_manager(using).get_or_create(
            email=OPERATOR_EMAIL,
            defaults={"full_name": "Platform Operator", "is_staff": True, "is_superuser": True},
        )
        if created:
            operator.set_password(DEMO_PASSWORD)
            operator.save(using=using)
        logins.append(DemoLogin(OPERATOR_EMAIL, "operator (Django admin)", "all"))
        for csn, name, currency, price, slug in PARTNERS[:partner_count]:
            partner, _ = Partner.objects.using(using).update_or_create(
                csn=csn, defaults={"name": name, "currency": currency, "token_price": price}
            )
            for handle, full_name, role in PEOPLE:
                email = f"{handle}@{slug}.example"
                user, created = User.objects.db_manager(using).get_or_create(
                    email=email, defaults={"full_name": full_name}
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                    user.save(using=using)
                Membership.unscoped.using(using).get_or_create(
                    partner=partner, user=user, defaults={"role": role}
                )
                logins.append(DemoLogin(email, Role(role).label, name))
    return logins


def seed_relationships(seed: int = 7, using: str = "maint") -> int:
    """Each partner's account managers on most of its customers, and a few contacts."""
    import random

    from teams.models import Account, AccountAssignment, Contact, TeamLink

    rng = random.Random(seed)
    created = 0
    with transaction.atomic(using=using):
        for partner in Partner.objects.using(using).order_by("pk"):
            managers = list(
                User.objects.using(using)
                .filter(memberships__partner=partner, memberships__role=Role.ACCOUNT_MANAGER)
                .order_by("email")
            )
            account_ids = (
                TeamLink.unscoped.using(using)
                .filter(partner=partner)
                .values_list("team__account_id", flat=True)
                .distinct()
            )
            for account in Account.unscoped.using(using).filter(pk__in=account_ids).order_by("pk"):
                if managers and rng.random() < 0.8:
                    AccountAssignment.unscoped.using(using).update_or_create(
                        partner=partner,
                        account=account,
                        defaults={"account_manager": rng.choice(managers)},
                    )
                if (
                    rng.random() < 0.6
                    and not Contact.unscoped.using(using)
                    .filter(partner=partner, account=account)
                    .exists()
                ):
                    first = rng.choice(["Dana", "Lee", "Morgan", "Riley", "Sasha", "Tomas", "Yuki"])
                    last = rng.choice(["Berg", "Costa", "Okafor", "Nguyen", "Schmidt", "Silva"])
                    domain = "".join(ch for ch in account.name.lower() if ch.isalnum())
                    Contact.unscoped.using(using).create(
                        partner=partner,
                        account=account,
                        name=f"{first} {last}",
                        email=f"{first.lower()}.{last.lower()}@{domain}.example",
                        phone=f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                        title=rng.choice(["CAD manager", "IT director", "Purchasing", "BIM lead"]),
                    )
                    created += 1
    return created
