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


# ----------------------------------------------------------------- teams and packs


def make_account(csn: str = "C-1000", name: str = "Acme Architects", **extra):
    from teams.models import Account

    return Account.unscoped.using(MAINT).create(csn=csn, name=name, **extra)


def make_team(team_id: str, name: str, account=None, linked=(), **extra):
    """A team, linked to the given partners (as the operator would link them)."""
    from teams.models import Team, TeamLink

    account = account or make_account(f"C-{team_id}", f"Customer of {name}")
    team = Team.unscoped.using(MAINT).create(team_id=team_id, name=name, account=account, **extra)
    for partner in linked:
        TeamLink.unscoped.using(MAINT).create(
            partner=partner, team=team, source=TeamLink.Source.OPERATOR
        )
    return team


def make_pack(team, order_number: str, seller, quantity: int, start, end=None, **extra):
    """A pack sold by `seller` (a Partner, or a CSN string for an off-platform seller);
    a registered seller is linked to the team, as the purchases feed does."""
    from flex.ledger import default_end_date
    from flex.models import Pack
    from spp.models import Partner
    from teams.models import TeamLink

    partner = seller if isinstance(seller, Partner) else None
    csn = seller.csn if partner else seller
    pack = Pack.unscoped.using(MAINT).create(
        order_number=order_number,
        team=team,
        seller_csn=csn,
        seller_partner=partner,
        quantity=quantity,
        start_date=start,
        end_date=end or default_end_date(start),
        **extra,
    )
    if partner:
        TeamLink.unscoped.using(MAINT).get_or_create(
            partner=partner, team=team, defaults={"source": TeamLink.Source.SELLER}
        )
    return pack


def make_snapshot(partner, team, as_of, **figures):
    """A Flex snapshot row with sensible defaults (normally the recompute writes these)."""
    from flex.models import FlexSnapshot

    total = figures.pop("flex_total_tokens", 1000)
    balance = figures.pop("flex_tokens_balance", 500)
    purchased = figures.pop("flex_purchased_tokens", total)
    values = {
        "flex_total_tokens": total,
        "flex_tokens_balance": balance,
        "flex_tokens_consumption": total - balance,
        "flex_purchased_tokens": purchased,
        "flex_additional_tokens": total - purchased,
        "flex_balance_rate": (balance / total) if total else None,
        "flex_consumption_rate_30": 5.0,
        "flex_consumption_rate_180": 4.0,
    }
    values.update(figures)
    return FlexSnapshot.unscoped.using(MAINT).create(
        partner=partner, team=team, as_of=as_of, **values
    )


def add_usage(team, daily: dict) -> None:
    """Daily usage roll-up rows (tokens per day) with their running total, as the usage
    import writes them; for tests of the recompute that do not go through a file."""
    from usage.models import UsageDaily

    existing = {u.day: u.tokens for u in UsageDaily.objects.using(MAINT).filter(team=team)}
    existing.update(daily)
    UsageDaily.objects.using(MAINT).filter(team=team).delete()
    running, rows = 0, []
    for day in sorted(existing):
        running += existing[day]
        rows.append(UsageDaily(team=team, day=day, tokens=existing[day], cum_tokens=running))
    UsageDaily.objects.using(MAINT).bulk_create(rows)
