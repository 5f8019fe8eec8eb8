"""Reads of the Flex figures for the current partner: the list, the widget, the dashboard.

Every read goes through the scoped managers (current partner) and runs under RLS.
The figures come from FlexSnapshot rows only (written by the recompute), so each page
is a handful of indexed reads, whatever the number of teams.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf

from flex.models import FlexSnapshot, RecomputeRun
from spp.models import Membership
from spp.tenancy import current_partner
from teams.models import AccountAssignment


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    description: str

    def q(self, prefix: str = "") -> Q:
        """The SPEC §5 rule on the snapshot fields (or on a joined snapshot `prefix__`)."""
        f = {
            name: prefix + name
            for name in (
                "flex_total_tokens",
                "flex_balance_rate",
                "flex_tokens_consumption",
                "flex_additional_tokens",
            )
        }
        has_flex = Q(**{f["flex_total_tokens"] + "__gt": 0})
        rules = {
            "lt20": Q(**{f["flex_balance_rate"] + "__lt": 0.20}),
            "20to30": Q(**{f["flex_balance_rate"] + "__gte": 0.20})
            & Q(**{f["flex_balance_rate"] + "__lt": 0.30}),
            "onboarding": Q(**{f["flex_tokens_consumption"]: 0}),
            "additional": Q(**{f["flex_additional_tokens"] + "__gt": 0}),
            "all": Q(),
        }
        return has_flex & rules[self.key]


# SPEC §5, in the widget's order. The keys are the `bucket` filter's values everywhere.
BUCKETS: tuple[Bucket, ...] = (
    Bucket("lt20", "Flex balance < 20%", "Balance under 20%: Autodesk e-mails the customer now."),
    Bucket("20to30", "Flex balance 30-20%", "Balance between 20% and 30%: time to quote a refill."),
    Bucket("onboarding", "Onboarding warning", "Tokens bought, none used yet."),
    Bucket("additional", "Additional suppliers", "Another supplier also sold this team tokens."),
    Bucket("all", "All teams with Flex", "Every team with tokens in its pool today."),
)
BUCKET_BY_KEY: dict[str, Bucket] = {bucket.key: bucket for bucket in BUCKETS}
BUCKET_CHOICES: list[tuple[str, str]] = [(bucket.key, bucket.label) for bucket in BUCKETS]

UNASSIGNED = "unassigned"


def manager_name_expression(user_path: str):
    """The display name of a user reached by `user_path`: full name, else e-mail."""
    return Coalesce(
        NullIf(F(f"{user_path}__full_name"), Value("")),
        F(f"{user_path}__email"),
        output_field=CharField(),
    )


def with_account_manager(queryset: QuerySet) -> QuerySet:
    """Annotate `account_manager_id` and `account_manager` (name) from the current
    partner's assignment of the team's account (SPEC §6: teams inherit it).

    Correlated subqueries on the (partner, account) unique index: no join through the
    account table and its RLS policy, and the query count does not grow with the rows.
    """
    if "account_manager" in queryset.query.annotations:
        return queryset
    assignments = AccountAssignment.objects.filter(account_id=OuterRef("team__account_id"))
    return queryset.annotate(
        account_manager_id=Subquery(assignments.values("account_manager_id")[:1]),
        account_manager=Subquery(
            assignments.annotate(name=manager_name_expression("account_manager")).values("name")[:1]
        ),
    )


def snapshot_rows() -> QuerySet:
    """Every snapshot row of the current partner, with the account manager annotated.

    The base queryset of the Flex list, its export and the API; narrow it to one as_of
    with flex.filtersets.FlexSnapshotFilterSet (which defaults to latest_as_of()).
    """
    return with_account_manager(FlexSnapshot.objects.select_related("team"))


def latest_as_of() -> date | None:
    """The most recent business date the current partner has complete figures for.

    Not newer than the last finished full recompute: a recompute of a few teams for a new
    day (an import after midnight) must not become the page's date with only those
    teams in it. Without any recorded run (figures loaded otherwise), the newest date.
    """
    finished = RecomputeRun.objects.filter(finished_at__isnull=False)
    complete = Q(as_of__lte=Subquery(finished.order_by("-as_of").values("as_of")[:1]))
    rows = FlexSnapshot.objects.filter(complete | ~Exists(finished))
    return rows.aggregate(latest=Max("as_of"))["latest"]


def has_snapshot_on(as_of: date) -> bool:
    return FlexSnapshot.objects.filter(as_of=as_of).exists()


def rows_on(as_of: date, manager: str | int | None = None) -> QuerySet:
    """The current partner's rows for one date, optionally one manager's teams only."""
    rows = with_account_manager(FlexSnapshot.objects.filter(as_of=as_of))
    return filter_manager(rows, manager)


def filter_manager(queryset: QuerySet, manager: str | int | None) -> QuerySet:
    if manager in (None, ""):
        return queryset
    queryset = with_account_manager(queryset)
    if manager == UNASSIGNED:
        return queryset.filter(account_manager_id__isnull=True)
    return queryset.filter(account_manager_id=int(manager))


def widget_counts(as_of: date | None, manager: str | int | None = None) -> dict[str, int]:
    """SPEC §5: the five bucket counts, in one aggregate query."""
    if as_of is None:
        return {bucket.key: 0 for bucket in BUCKETS}
    # Keys like "20to30" are no Python identifiers: they pass through a dict.
    aggregates = {bucket.key: Count("pk", filter=bucket.q()) for bucket in BUCKETS}
    return rows_on(as_of, manager).aggregate(**aggregates)


def projected_end_within(
    as_of: date, days: int = 30, manager: str | int | None = None, limit: int = 8
) -> tuple[int, list[dict]]:
    """Teams with Flex whose projected end falls in [as_of, as_of + days]: count and soonest."""
    rows = rows_on(as_of, manager).filter(
        flex_total_tokens__gt=0,
        flex_projected_end_date__gte=as_of,
        flex_projected_end_date__lte=as_of + timedelta(days=days),
    )
    listed = list(
        rows.order_by("flex_projected_end_date", "team__name").values(
            "team__team_id",
            "team__name",
            "flex_projected_end_date",
            "flex_balance_rate",
            "flex_tokens_balance",
        )[:limit]
    )
    return (len(listed) if len(listed) < limit else rows.count()), listed


def expiring_within_90_days(
    as_of: date, manager: str | int | None = None, limit: int = 8
) -> tuple[int, int, list[dict]]:
    """Teams with tokens expiring within 90 days: number of teams, tokens, the largest."""
    rows = rows_on(as_of, manager).filter(tokens_expiring_90d__gt=0)
    totals = rows.aggregate(teams=Count("pk"), tokens=Coalesce(Sum("tokens_expiring_90d"), 0))
    listed = list(
        rows.order_by("-tokens_expiring_90d", "team__name").values(
            "team__team_id", "team__name", "tokens_expiring_90d", "flex_latest_end_date"
        )[:limit]
    )
    return totals["teams"], totals["tokens"], listed


def bucket_entries(
    as_of: date, manager: str | int | None = None, limit: int = 8
) -> tuple[dict[str, int], list[dict]]:
    """Teams that entered a bucket since yesterday (snapshot at as_of vs as_of − 1 day).

    A team with no row yesterday entered every bucket it is in today. Returns the count
    of newcomers per bucket and the first few newcomers with the buckets they entered.
    """
    yesterday = as_of - timedelta(days=1)
    partner = current_partner()
    rows = rows_on(as_of, manager).annotate(
        prev=FilteredRelation(
            "team__snapshots",
            condition=Q(team__snapshots__partner=partner, team__snapshots__as_of=yesterday),
        )
    )
    entered = {}
    for bucket in BUCKETS:
        # Without a row yesterday every prev__ field is NULL: the team was in no bucket.
        was_in = bucket.q("prev__") & Q(prev__flex_total_tokens__isnull=False)
        entered[bucket.key] = bucket.q() & ~was_in
    flags = {
        f"entered_{bucket.key}": ExpressionWrapper(entered[bucket.key], output_field=BooleanField())
        for bucket in BUCKETS
    }
    counts = rows.aggregate(**{key: Count("pk", filter=q) for key, q in entered.items()})
    any_entered = Q()
    for q in entered.values():
        any_entered |= q
    newcomers = list(
        rows.filter(any_entered)
        .annotate(**flags)
        .order_by("flex_balance_rate", "team__name")
        .values("team__team_id", "team__name", "flex_balance_rate", *flags.keys())[:limit]
    )
    for row in newcomers:
        row["buckets"] = [
            bucket for bucket in BUCKETS if bucket.key != "all" and row[f"entered_{bucket.key}"]
        ]
        row["new_to_flex"] = row["entered_all"]
    return counts, newcomers


def manager_choices() -> list[tuple[int, str]]:
    """The partner's people, who may be account managers: (user id, display name)."""
    memberships = (
        Membership.objects.select_related("user")
        .filter(user__is_active=True)
        .order_by("user__full_name", "user__email")
    )
    return [(m.user_id, m.user.full_name or m.user.email) for m in memberships]


def team_snapshot(team) -> FlexSnapshot | None:
    """The current partner's latest figures for one team."""
    return FlexSnapshot.objects.filter(team=team).order_by("-as_of").first()
