"""Reads of customers, teams and contacts for the current partner (scoped, under RLS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from flex import services as flex_services
from flex.models import FlexSnapshot, Pack, TokenEvent
from flex.selectors import latest_as_of, manager_name_expression
from spp.models import Membership
from teams.models import Account, AccountAssignment, Contact, Team
from usage.models import Product, UsageDaily, UsageDailyProduct, UsageRow


def _assignments(account_ref: str) -> QuerySet:
    return AccountAssignment.objects.filter(account_id=OuterRef(account_ref))


def with_manager(queryset: QuerySet, account_ref: str) -> QuerySet:
    """Annotate the current partner's account manager (id and name) of each row's account."""
    assignments = _assignments(account_ref)
    return queryset.annotate(
        account_manager_id=Subquery(assignments.values("account_manager_id")[:1]),
        account_manager_name=Subquery(
            assignments.annotate(name=manager_name_expression("account_manager")).values("name")[:1]
        ),
    )


def search_teams(q: str = "") -> QuerySet:
    """The partner's linked teams (with or without Flex), optionally searched."""
    teams = with_manager(Team.objects.select_related("account"), "account_id")
    q = q.strip()
    if q:
        teams = teams.filter(
            Q(name__icontains=q)
            | Q(team_id__icontains=q)
            | Q(account__name__icontains=q)
            | Q(account__csn__icontains=q)
        )
    return teams.order_by("name", "team_id")


def search_accounts(q: str = "") -> QuerySet:
    """Customers with at least one team linked to the partner, with their team count."""
    accounts = Account.objects.annotate(team_count=Count("teams", distinct=True))
    accounts = with_manager(accounts, "pk")
    q = q.strip()
    if q:
        accounts = accounts.filter(Q(name__icontains=q) | Q(csn__icontains=q))
    return accounts.order_by("name", "csn")


def account_by_csn(csn: str) -> Account | None:
    return Account.objects.filter(csn=csn).distinct().first()


def team_by_id(team_id: str) -> Team | None:
    return Team.objects.select_related("account").filter(team_id=team_id).first()


def assignment_for(account: Account) -> AccountAssignment | None:
    return (
        AccountAssignment.objects.select_related("account_manager").filter(account=account).first()
    )


def members() -> list[Membership]:
    return list(
        Membership.objects.select_related("user")
        .filter(user__is_active=True)
        .order_by("user__full_name", "user__email")
    )


def contacts_of(account: Account) -> QuerySet:
    return Contact.objects.filter(account=account).select_related("team").order_by("name")


def account_teams_with_figures(account: Account) -> list[dict]:
    """The account's linked teams with the partner's latest Flex figures (two queries)."""
    teams = list(Team.objects.filter(account=account).order_by("name"))
    as_of = latest_as_of()
    snapshots = {}
    if as_of and teams:
        snapshots = {
            s.team_id: s
            for s in FlexSnapshot.objects.filter(team__in=teams, as_of=as_of).only(
                "team_id",
                "flex_tokens_balance",
                "flex_total_tokens",
                "flex_balance_rate",
                "flex_projected_end_date",
            )
        }
    return [{"team": team, "snapshot": snapshots.get(team.pk)} for team in teams]


# ------------------------------------------------------------------- team page


@dataclass(frozen=True)
class ProductUse:
    product: str
    tokens: int
    users: int
    days: int


def products_and_users(team: Team, start: date, end: date) -> tuple[list[ProductUse], int]:
    """Tokens, users and days used per product over [start, end], and distinct users."""
    per_product = (
        UsageDailyProduct.objects.filter(team=team, day__gte=start, day__lte=end)
        .values("product_id")
        .annotate(tokens=Sum("tokens"), days=Count("day", distinct=True))
    )
    users = dict(
        UsageRow.objects.filter(team=team, day__gte=start, day__lte=end)
        .values("product_id")
        .annotate(users=Count("user_key", distinct=True))
        .values_list("product_id", "users")
    )
    total_users = UsageRow.objects.filter(team=team, day__gte=start, day__lte=end).aggregate(
        users=Count("user_key", distinct=True)
    )["users"]
    names = dict(
        Product.objects.filter(pk__in=[row["product_id"] for row in per_product]).values_list(
            "pk", "name"
        )
    )
    rows = [
        ProductUse(
            product=names.get(row["product_id"], "?"),
            tokens=row["tokens"] or 0,
            users=users.get(row["product_id"], 0),
            days=row["days"],
        )
        for row in per_product
    ]
    rows.sort(key=lambda r: (-r.tokens, r.product))
    return rows, total_users or 0


def daily_tokens(team: Team, start: date, end: date) -> list[tuple[date, int]]:
    """Tokens used each day of [start, end], zero on days without usage."""
    used = dict(
        UsageDaily.objects.filter(team=team, day__gte=start, day__lte=end).values_list(
            "day", "tokens"
        )
    )
    days = (end - start).days + 1
    return [
        (start + timedelta(days=i), int(used.get(start + timedelta(days=i), 0)))
        for i in range(days)
    ]


def own_packs(team: Team) -> list[Pack]:
    """The partner's own packs of this team (Pack.objects: sold by the current partner)."""
    return list(Pack.objects.filter(team=team).order_by("-start_date", "order_number"))


def token_events(team: Team) -> list[TokenEvent]:
    """Moves and adjustments of the partner's own packs touching the team, and merges of it.

    Merges carry no pack, so the seller-scoped manager cannot reach them; the team was
    fetched through Team.objects (linked to the partner), and RLS only shows merges of
    linked teams.
    """
    touching = Q(pack__team=team) | Q(from_team=team) | Q(to_team=team)
    own = TokenEvent.objects.filter(touching).select_related("pack", "from_team", "to_team")
    merges = TokenEvent.unscoped.filter(pack__isnull=True).filter(
        Q(from_team=team) | Q(to_team=team)
    )
    events = {e.pk: e for e in own}
    events.update({e.pk: e for e in merges.select_related("from_team", "to_team")})
    return sorted(events.values(), key=lambda e: (e.date, e.pk), reverse=True)


@dataclass(frozen=True)
class PackUse:
    """What became of one of the partner's packs in this team's pool, as of a date."""

    used: int
    remaining: int
    expired: int  # expired unused, once the pack has ended

    @property
    def unused(self) -> int:
        return self.remaining + self.expired


def own_pack_use(team: Team, packs: list[Pack], as_of: date) -> dict[str, PackUse]:
    """Order number -> use of each of the partner's own packs of the team, from the
    ledger replayed as of `as_of`. The replay sees every seller's packs (they share the
    draw order); only the partner's own packs leave this function."""
    if not packs:
        return {}
    team_ledger = flex_services.replay_team(team.pk, as_of)
    if team_ledger is None:
        return {}
    own = {p.order_number for p in packs}
    use: dict[str, PackUse] = {}
    for state in team_ledger.packs:  # a pack moved out and back has two stays
        if state.order_number in own:
            before = use.get(state.order_number, PackUse(0, 0, 0))
            use[state.order_number] = PackUse(
                before.used + state.used,
                before.remaining + state.remaining,
                before.expired + state.expired,
            )
    return use


@dataclass(frozen=True)
class TimelineEntry:
    date: date
    kind: str
    tokens: int | None  # signed: + into the team's pool, − out of it; None when unknown
    detail: str


def token_timeline(
    team: Team,
    packs: list[Pack],
    events: list[TokenEvent],
    today: date,
    use: dict[str, PackUse] | None = None,
) -> list[TimelineEntry]:
    """SPEC §9 token events, newest first: the partner's own purchases and expiries (with
    the tokens that expired unused, from `use`), moves, merges and adjustments. Other
    suppliers' packs never appear one by one."""
    use = use or {}
    entries = []
    for pack in packs:
        if pack.start_date <= today:
            entries.append(
                TimelineEntry(pack.start_date, "Purchased", pack.quantity, pack.order_number)
            )
        if pack.end_date < today:
            pack_use = use.get(pack.order_number)
            expired = pack_use.expired if pack_use is not None else None
            detail = f"{pack.order_number}: pack ended"
            if expired == 0:
                detail += ", every token used or moved"
            elif expired:
                detail += ", tokens expired unused"
            entries.append(
                TimelineEntry(pack.end_date, "Expired", -expired if expired else expired, detail)
            )
    for event in events:
        order = event.pack.order_number if event.pack_id else ""
        if event.kind == TokenEvent.Kind.MERGE:
            if event.to_team_id == team.pk:
                kind, detail = "Merged in", f"from {event.from_team.name}"
            else:
                kind, detail = "Merged out", f"into {event.to_team.name}"
            entries.append(TimelineEntry(event.date, kind, None, detail))
        elif event.kind == TokenEvent.Kind.MOVE:
            incoming = event.to_team_id == team.pk
            other = event.from_team if incoming else event.to_team
            entries.append(
                TimelineEntry(
                    event.date,
                    "Moved in" if incoming else "Moved out",
                    event.quantity if incoming else -event.quantity,
                    " · ".join(
                        x
                        for x in (
                            order,
                            f"{'from' if incoming else 'to'} {other.name}" if other else "",
                        )
                        if x
                    ),
                )
            )
        else:
            entries.append(
                TimelineEntry(
                    event.date,
                    "Adjusted",
                    event.quantity,
                    " · ".join(x for x in (order, event.reason) if x),
                )
            )
    return sorted(entries, key=lambda e: e.date, reverse=True)


def packs_ending_within(packs: list[Pack], start: date, days: int = 90) -> list[Pack]:
    """Own active packs whose end date falls within `days` of `start`."""
    end = start + timedelta(days=days)
    return sorted(
        (p for p in packs if p.start_date <= start <= p.end_date <= end),
        key=lambda p: p.end_date,
    )


def team_figures(team: Team) -> FlexSnapshot | None:
    return FlexSnapshot.objects.filter(team=team).order_by("-as_of").first()
