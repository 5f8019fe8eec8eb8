"""Flex list export at 20,000 teams: the portal's .xlsx writer against bare openpyxl.

A throwaway partner gets 20,000 teams with snapshots (bulk, through the maintenance
alias). Then, as that partner on the request alias (RLS on), the export of every row
is timed: the FilterSet's query and the styled write-only workbook. In the same run the
same rows are written with bare openpyxl write-only (no styles, no number formats), and
the ratio is printed. Goal: the whole export under 10 s. The partner is removed at the end.
"""

from __future__ import annotations

import io
import secrets
import time
from datetime import date, timedelta

TEAMS = 20_000
AS_OF = date(2026, 3, 10)
GOAL_SECONDS = 10.0


def _seed(partner, count: int) -> None:
    from flex.models import FlexSnapshot
    from spp.models import User
    from teams.models import Account, AccountAssignment, Team, TeamLink

    maint = "maint"
    tag = partner.csn
    manager = User.objects.db_manager(maint).create_user(
        f"manager-{tag.lower()}@bench.example", None, full_name="Bench Manager"
    )
    accounts = Account.unscoped.using(maint).bulk_create(
        Account(csn=f"{tag}-{i:04d}", name=f"Bench Customer {i:04d}") for i in range(count // 10)
    )
    AccountAssignment.unscoped.using(maint).bulk_create(
        AccountAssignment(partner=partner, account=a, account_manager=manager)
        for a in accounts[::2]
    )
    teams = Team.unscoped.using(maint).bulk_create(
        (
            Team(team_id=f"{tag}-T{i:06d}", name=f"Bench Team {i:06d}", account=accounts[i // 10])
            for i in range(count)
        ),
        batch_size=5000,
    )
    TeamLink.unscoped.using(maint).bulk_create(
        (TeamLink(partner=partner, team=t, source="operator") for t in teams), batch_size=5000
    )
    snapshots = []
    for i, team in enumerate(teams):
        total = 1000 + (i % 7) * 500
        balance = (i * 37) % total
        purchased = total if i % 5 else total - 300
        snapshots.append(
            FlexSnapshot(
                partner=partner,
                team=team,
                as_of=AS_OF,
                flex_total_tokens=total,
                flex_tokens_balance=balance,
                flex_tokens_consumption=total - balance,
                flex_purchased_tokens=purchased,
                flex_additional_tokens=total - purchased,
                flex_start_date=AS_OF - timedelta(days=i % 300),
                flex_latest_end_date=AS_OF + timedelta(days=65 + i % 300),
                flex_balance_rate=balance / total,
                flex_consumption_rate_30=(i % 50) / 3,
                flex_consumption_rate_180=(i % 40) / 3,
                flex_projected_end_date=AS_OF + timedelta(days=i % 365),
                customer=f"Bench Customer {i // 10:04d}" if i % 3 else "n/a",
            )
        )
    FlexSnapshot.unscoped.using(maint).bulk_create(snapshots, batch_size=5000)


def _time_pages(partner) -> None:
    """The pages over the same 20,000 teams, through the whole Django stack."""
    from django.test import Client

    from spp.models import Membership, Role, User

    user = User.objects.db_manager("maint").create_user(
        f"viewer-{partner.csn.lower()}@bench.example", None
    )
    Membership.unscoped.using("maint").create(partner=partner, user=user, role=Role.VIEWER)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    for label, url in (
        ("Flex list, default sort", "/flex/"),
        ("Flex list, by manager", "/flex/?ordering=-account_manager&page_size=200"),
        ("Flex list, search + bucket", "/flex/?bucket=lt20&q=team+01"),
        ("dashboard", "/dashboard/?scope=all"),
    ):
        client.get(url)  # warm
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        print(f"page: {label:<27} {elapsed * 1000:.0f} ms")


def _cleanup(partner) -> None:
    from spp.models import User
    from teams.models import Account, Team

    maint = "maint"
    Team.unscoped.using(maint).filter(team_id__startswith=f"{partner.csn}-T").delete()
    Account.unscoped.using(maint).filter(csn__startswith=f"{partner.csn}-").delete()
    User.objects.using(maint).filter(
        email__endswith=f"-{partner.csn.lower()}@bench.example"
    ).delete()
    partner.delete(using=maint)


def main() -> None:
    from bench.common import analyze, setup_django

    setup_django()
    from django.db import transaction
    from openpyxl import Workbook

    from flex import export
    from flex.filtersets import FlexSnapshotFilterSet
    from flex.tables import EXPORT_KEYS
    from spp.models import Partner
    from spp.tenancy import partner_scope

    partner = Partner.objects.using("maint").create(
        csn=f"BX{secrets.token_hex(4).upper()}", name="Export Bench Partner"
    )
    try:
        started = time.perf_counter()
        _seed(partner, TEAMS)
        analyze("flex_flexsnapshot", "teams_team", "teams_teamlink", "teams_accountassignment")
        print(f"seeded {TEAMS:,} snapshots in {time.perf_counter() - started:.1f}s", flush=True)

        with transaction.atomic(), partner_scope(partner):
            t0 = time.perf_counter()
            filterset = FlexSnapshotFilterSet({})
            assert filterset.is_valid(), filterset.errors
            rows = export.rows_from(filterset.qs)
            t1 = time.perf_counter()
            buffer = io.BytesIO()
            export.write_xlsx(rows, buffer)
            t2 = time.perf_counter()
        assert len(rows) == TEAMS, len(rows)
        ours_write = t2 - t1
        ours_total = t2 - t0

        t3 = time.perf_counter()
        bare = Workbook(write_only=True)
        sheet = bare.create_sheet("Flex list")
        sheet.append(list(EXPORT_KEYS))
        for row in rows:
            sheet.append(row)
        bare_buffer = io.BytesIO()
        bare.save(bare_buffer)
        bare_write = time.perf_counter() - t3

        csv_started = time.perf_counter()
        export.render(rows, "csv")
        csv_seconds = time.perf_counter() - csv_started

        print(f"rows exported               {len(rows):,}")
        print(f"query (FilterSet, RLS)      {t1 - t0:.2f}s")
        print(f"SPP .xlsx writer            {ours_write:.2f}s  ({len(buffer.getvalue()):,} bytes)")
        print(f"SPP export, query + .xlsx   {ours_total:.2f}s  (goal < {GOAL_SECONDS:.0f}s)")
        print(
            f"bare openpyxl write-only    {bare_write:.2f}s  ({len(bare_buffer.getvalue()):,} bytes)"
        )
        print(f"ratio SPP writer / bare     {ours_write / bare_write:.2f}")
        print(f"ratio SPP export / bare     {ours_total / bare_write:.2f}")
        print(f"SPP .csv writer             {csv_seconds:.2f}s")
        print("OK" if ours_total < GOAL_SECONDS else "SLOWER THAN THE GOAL", flush=True)
        _time_pages(partner)
    finally:
        _cleanup(partner)


if __name__ == "__main__":
    main()
