"""The usage portfolio (SPEC §9) of a big partner: 4,000 teams, 13 months of usage.

Uses the data of bench_recompute (20,000 teams of 5 partners, ~10 million usage rows;
generated first when missing). A throwaway viewer of the first bench partner requests
the portfolio page through the whole Django stack (test Client, RLS on) for each range;
the median of five requests after a warm one is printed with the query count.

Beside each range, in the same run, the baseline: one bare aggregate of the daily
product roll-up over the partner's teams and the range (`SELECT product_id, sum(tokens)
… GROUP BY product_id`), the least a page built from daily roll-ups would read. The
page reads the monthly product roll-up for the months the range covers in full, so it
should beat that baseline (ratio below 1) on month ranges. Goal: every range under 1 s.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date

from bench.bench_recompute import AS_OF, TEAMS, generate, sizes
from bench.common import analyze, setup_django, sql

RUNS = 5
GOAL_MS = 1000.0
RANGES = (
    ("30d", "range=30d"),
    ("3m", "range=3m"),
    ("12m", "range=12m"),
    ("custom", "start=2025-10-15&end=2026-10-20"),  # months cut at both ends
)
BASELINE = """
    SELECT product_id, sum(tokens) FROM usage_usagedailyproduct
    WHERE team_id IN (SELECT team_id FROM teams_teamlink WHERE partner_id = %s)
      AND day BETWEEN %s AND %s
    GROUP BY product_id
"""


class _QueryCounter:
    """An execute wrapper that counts the statements of one request."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _median_ms(action) -> float:
    action()  # warm
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main() -> None:
    previous_today = os.environ.get("SPP_TODAY")
    os.environ["SPP_TODAY"] = AS_OF.isoformat()
    setup_django()
    from django.db import connections
    from django.test import Client

    from spp.models import Membership, Partner, Role, User
    from usage import ranges

    if sizes()["teams"] != TEAMS:
        generate()
    partner = Partner.objects.using("maint").get(csn="B1")
    teams = sql("SELECT count(*) FROM teams_teamlink WHERE partner_id = %s", [partner.pk])[0][0]
    analyze("usage_usagemonthlyproduct")
    email = "portfolio-viewer@bench.example"
    User.objects.using("maint").filter(email=email).delete()
    user = User.objects.db_manager("maint").create_user(email, None)
    Membership.unscoped.using("maint").create(partner=partner, user=user, role=Role.VIEWER)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    print(f"partner {partner.csn}: {teams:,} teams, usage to {AS_OF}", flush=True)
    print(f"{'range':<8}{'page':>12}{'queries':>9}{'baseline':>12}{'ratio':>8}")
    worst = 0.0
    try:
        for key, query in RANGES:
            url = f"/usage/?{query}"

            def page(url: str = url) -> None:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            counter = _QueryCounter()
            with connections["default"].execute_wrapper(counter):
                page()
            page_ms = _median_ms(page)
            rng = (
                ranges.preset(key, AS_OF)
                if key in ranges.PRESETS
                else ranges.custom(*(date.fromisoformat(v) for v in _dates(query)))
            )
            baseline_ms = _median_ms(
                lambda rng=rng: sql(BASELINE, [partner.pk, rng.start, rng.end])
            )
            worst = max(worst, page_ms)
            print(
                f"{key:<8}{page_ms:>9.0f} ms{counter.count:>9}"
                f"{baseline_ms:>9.0f} ms{page_ms / baseline_ms:>8.2f}",
                flush=True,
            )
    finally:
        User.objects.using("maint").filter(email=email).delete()
        if previous_today is None:
            os.environ.pop("SPP_TODAY", None)
        else:
            os.environ["SPP_TODAY"] = previous_today
    verdict = "met" if worst < GOAL_MS else "MISSED"
    print(f"slowest range {worst:.0f} ms (goal < {GOAL_MS:.0f} ms: {verdict})")


def _dates(query: str) -> tuple[str, str]:
    values = dict(part.split("=") for part in query.split("&"))
    return values["start"], values["end"]


if __name__ == "__main__":
    main()
