"""Usage reporting (SPEC §9) for one big team: every tab, every range, server time.

A throwaway partner gets one team whose 50 users used each of 10 products every day of
the 365 days before D (182,500 usage rows), written in bulk through the maintenance alias
with the roll-ups the usage import keeps (daily, daily per product, monthly per user and
per product).
Then each tab is requested through the whole Django stack (test Client, a signed-in
viewer of the partner, RLS on) for each range; the median of five requests after a warm
one is printed with the query count. Goal: every tab under 300 ms. The raw export is timed
too. The partner, its team and the bench products are removed at the end.
"""

from __future__ import annotations

import os
import secrets
import statistics
import time
from datetime import date

AS_OF = date(2026, 3, 10)
USERS = 50
PRODUCTS = 10
DAYS = 365
GOAL_MS = 300.0
RUNS = 5
RANGES = (
    ("30d", "range=30d"),
    ("3m", "range=3m"),
    ("6m", "range=6m"),
    ("9m", "range=9m"),
    ("12m", "range=12m"),
    ("custom", "start=2025-03-20&end=2026-03-05"),  # cut months at both ends
)


def _seed(partner):
    """The team, its users' rows for every day and product, and the roll-ups."""
    from django.db import connections

    from bench.common import sql
    from flex.models import FlexSnapshot
    from teams.models import Account, Team, TeamLink
    from usage.imports.usage import rebuild_monthly
    from usage.models import Product

    maint = "maint"
    tag = partner.csn
    account = Account.unscoped.using(maint).create(csn=f"{tag}-A", name="Usage Bench Customer")
    team = Team.unscoped.using(maint).create(
        team_id=f"{tag}-T", name="Usage Bench Team", account=account
    )
    TeamLink.unscoped.using(maint).create(partner=partner, team=team, source="operator")
    products = [
        Product.objects.using(maint).create(name=f"{tag} Product {i + 1:02d}")
        for i in range(PRODUCTS)
    ]
    ids = [p.pk for p in products]
    # Tokens per day of a product: 1 … 10 (the catalog's daily rates are of that order);
    # two versions per product, alternating by ISO week; user keys as the import's HMACs.
    sql(
        """
        INSERT INTO usage_usagerow (team_id, day, product_id, version, user_key, feature, tokens)
        SELECT %s, d::date, p.id,
               CASE WHEN extract(week FROM d)::int %% 2 = 0 THEN '2026' ELSE '2025' END,
               encode(sha256(('bench-user-' || u)::bytea), 'hex'), '', p.n
        FROM generate_series(%s::date - %s, %s::date - 1, interval '1 day') AS d,
             unnest(%s::bigint[]) WITH ORDINALITY AS p(id, n),
             generate_series(1, %s) AS u
        ORDER BY 1, 2
        """,
        [team.pk, AS_OF, DAYS, AS_OF, ids, USERS],
    )
    sql(
        """
        INSERT INTO usage_usagedailyproduct (team_id, day, product_id, tokens, users)
        SELECT team_id, day, product_id, sum(tokens), count(DISTINCT user_key)
        FROM usage_usagerow WHERE team_id = %s GROUP BY team_id, day, product_id
        """,
        [team.pk],
    )
    sql(
        """
        INSERT INTO usage_usagedaily (team_id, day, tokens, cum_tokens, users)
        SELECT team_id, day, tokens, sum(tokens) OVER (ORDER BY day), users
        FROM (SELECT team_id, day, sum(tokens) AS tokens, count(DISTINCT user_key) AS users
              FROM usage_usagerow WHERE team_id = %s GROUP BY team_id, day) d
        """,
        [team.pk],
    )
    with connections[maint].cursor() as cursor:
        rebuild_monthly(
            cursor, f"SELECT team_id, day FROM usage_usagedaily WHERE team_id = {team.pk}"
        )
    FlexSnapshot.unscoped.using(maint).create(
        partner=partner,
        team=team,
        as_of=AS_OF,
        flex_total_tokens=1_000_000,
        flex_tokens_balance=250_000,
        flex_tokens_consumption=750_000,
        flex_purchased_tokens=1_000_000,
        flex_additional_tokens=0,
        flex_balance_rate=0.25,
        flex_consumption_rate_30=2750.0,
        flex_consumption_rate_180=2750.0,
    )
    with_rows = sql("SELECT count(*) FROM usage_usagerow WHERE team_id = %s", [team.pk])[0][0]
    return team, products, with_rows


def _time(client, url: str) -> tuple[float, int]:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connections["default"]) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings) * 1000, len(queries.captured_queries)


def _cleanup(partner, products) -> None:
    from spp.models import User
    from teams.models import Account, Team
    from usage.models import Product

    maint = "maint"
    Team.unscoped.using(maint).filter(team_id__startswith=f"{partner.csn}-").delete()
    Account.unscoped.using(maint).filter(csn__startswith=f"{partner.csn}-").delete()
    Product.objects.using(maint).filter(pk__in=[p.pk for p in products]).delete()
    User.objects.using(maint).filter(
        email__endswith=f"-{partner.csn.lower()}@bench.example"
    ).delete()
    partner.delete(using=maint)


def main() -> None:
    from bench.common import analyze, setup_django, sql

    previous_today = os.environ.get("SPP_TODAY")
    os.environ["SPP_TODAY"] = AS_OF.isoformat()
    setup_django()
    from django.test import Client

    from spp.models import Membership, Partner, Role, User
    from usage import figures
    from usage.imports.pseudonym import anonymous_key

    partner = Partner.objects.using("maint").create(
        csn=f"BU{secrets.token_hex(4).upper()}", name="Usage Bench Partner"
    )
    products = []
    try:
        started = time.perf_counter()
        team, products, rows = _seed(partner)
        analyze(
            "usage_usagerow",
            "usage_usagedaily",
            "usage_usagedailyproduct",
            "usage_usagemonthlyuser",
            "usage_usagemonthlyproduct",
            "teams_team",
            "teams_teamlink",
        )
        print(
            f"seeded {rows:,} usage rows ({USERS} users × {PRODUCTS} products × {DAYS} days) "
            f"and roll-ups in {time.perf_counter() - started:.1f}s",
            flush=True,
        )
        user = User.objects.db_manager("maint").create_user(
            f"viewer-{partner.csn.lower()}@bench.example", None
        )
        Membership.unscoped.using("maint").create(partner=partner, user=user, role=Role.VIEWER)
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)

        keys = {
            key
            for (key,) in sql(
                "SELECT DISTINCT user_key FROM usage_usagemonthlyuser WHERE team_id = %s",
                [team.pk],
            )
        }
        labels = figures.user_labels(team.team_id, keys, anonymous_key())
        slug = figures.label_slug(sorted(labels.values())[0])
        base = f"/teams/{team.team_id}/usage/"
        tabs = (
            ("summary", base),
            ("by product", base + "products/"),
            ("product detail", base + f"products/{products[-1].pk}/"),
            ("by user", base + "users/"),
            ("user detail", base + f"users/{slug}/"),
            ("portfolio", "/usage/"),
        )
        print(f"{'tab':<16}" + "".join(f"{name:>16}" for name, _ in RANGES))
        worst = 0.0
        for label, url in tabs:
            cells = []
            for _, query in RANGES:
                ms, count = _time(client, f"{url}?{query}")
                worst = max(worst, ms)
                cells.append(f"{ms:7.0f} ms {count:3d} q")
            print(f"{label:<16}" + "".join(f"{c:>16}" for c in cells), flush=True)
        for label, query in (("30 days", "range=30d"), ("12 months", "range=12m")):
            for fmt in ("csv", "xlsx"):
                started = time.perf_counter()
                response = client.get(f"{base}raw.{fmt}?{query}")
                elapsed = time.perf_counter() - started
                size = len(response.content)
                outcome = (
                    f"{size:,} bytes"
                    if response.status_code == 200
                    else "refused: over the row limit of an export built in the request"
                )
                print(f"raw export, {label:<9} .{fmt:<4} {elapsed * 1000:7.0f} ms  {outcome}")
        print(
            f"slowest tab {worst:.0f} ms: "
            + ("OK" if worst < GOAL_MS else f"SLOWER THAN THE GOAL ({GOAL_MS:.0f} ms)"),
            flush=True,
        )
    finally:
        _cleanup(partner, products)
        if previous_today is None:
            os.environ.pop("SPP_TODAY", None)
        else:
            os.environ["SPP_TODAY"] = previous_today


if __name__ == "__main__":
    main()
