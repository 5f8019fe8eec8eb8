"""The dashboard and the Flex list: every filter, every sort key, bad parameters, counts,
pagination, the column chooser, a pinned query count, and partner isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flex import tables
from flex.models import FlexSnapshot
from teams.models import Team, TeamLink
from tests.conftest import committed_db
from tests.factories import MAINT, make_account
from tests.flex.flex_data import YESTERDAY, D, build

pytestmark = committed_db

ALL_A = {"low", "watch", "onboard", "additional", "healthy", "expired", "shared"}


@pytest.fixture
def portfolio(tenants):
    return build(tenants)


def shown(response) -> list[str]:
    """Team ids of the list's rows, in order."""
    assert response.status_code == 200
    return [row["team__team_id"] for row in response.context["rows"]]


def names(p, response) -> set[str]:
    by_id = {team.team_id: name for name, team in p.teams.items()}
    return {by_id[team_id] for team_id in shown(response)}


# ------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("bucket", "expected"),
    [
        ("lt20", {"low"}),
        ("20to30", {"watch"}),
        ("onboarding", {"onboard"}),
        ("additional", {"additional"}),
        ("all", ALL_A - {"expired"}),
        ("", ALL_A),
    ],
)
def test_bucket_filter(client_a, portfolio, bucket, expected):
    assert names(portfolio, client_a.get("/flex/", {"bucket": bucket})) == expected


def test_manager_filter(client_a, portfolio, tenants):
    get = client_a.get
    assert names(portfolio, get("/flex/", {"manager": tenants.a_manager.pk})) == {"low", "watch"}
    assert names(portfolio, get("/flex/", {"manager": tenants.a_admin.pk})) == {"healthy"}
    unassigned = names(portfolio, get("/flex/", {"manager": "unassigned"}))
    # B assigned the shared team's account: that is B's business, A sees it unassigned.
    assert unassigned == ALL_A - {"low", "watch", "healthy"}


def test_manager_of_another_partner_is_refused(client_a, portfolio, tenants):
    response = client_a.get("/flex/", {"manager": tenants.b_admin.pk})
    assert response.status_code == 200
    assert shown(response) == []
    assert any("manager" in problem for problem in response.context["problems"])


def test_manager_column_shows_the_assignment(client_a, portfolio):
    rows = {r["team__team_id"]: r for r in client_a.get("/flex/").context["rows"]}
    assert rows[portfolio.teams["low"].team_id]["account_manager"] == "Amos Manager"
    assert rows[portfolio.teams["healthy"].team_id]["account_manager"] == "Ada Admin"
    assert rows[portfolio.teams["shared"].team_id]["account_manager"] is None


def test_balance_range_is_inclusive_percent(client_a, portfolio):
    response = client_a.get("/flex/", {"balance_min": "20", "balance_max": "50"})
    assert names(portfolio, response) == {"watch", "additional"}
    assert names(portfolio, client_a.get("/flex/", {"balance_max": "10"})) == {"low"}
    assert names(portfolio, client_a.get("/flex/", {"balance_min": "85"})) == {"onboard", "shared"}


def test_projected_end_range(client_a, portfolio):
    response = client_a.get(
        "/flex/",
        {"end_from": D.isoformat(), "end_to": (D + timedelta(days=45)).isoformat()},
    )
    assert names(portfolio, response) == {"low", "watch"}
    after = client_a.get("/flex/", {"end_from": (D + timedelta(days=100)).isoformat()})
    assert names(portfolio, after) == {"healthy"}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("acme", {"low"}),  # customer
        ("T-003", {"onboard"}),  # team id
        ("watch wo", {"watch"}),  # team name, case-insensitive
        ("  ", ALL_A),
        ("nothing-like-this", set()),
    ],
)
def test_text_search(client_a, portfolio, q, expected):
    assert names(portfolio, client_a.get("/flex/", {"q": q})) == expected


def test_filters_combine(client_a, portfolio, tenants):
    response = client_a.get(
        "/flex/", {"bucket": "all", "manager": tenants.a_manager.pk, "q": "works"}
    )
    assert names(portfolio, response) == {"watch"}


def test_as_of_picks_another_day_and_defaults_to_the_latest(client_a, portfolio):
    latest = client_a.get("/flex/")
    assert latest.context["as_of"] == D
    assert b'Figures as of <time datetime="2026-03-10">' in latest.content
    older = client_a.get("/flex/", {"as_of": YESTERDAY.isoformat()})
    assert names(portfolio, older) == {"low", "watch"}
    assert older.context["latest_as_of"] == D


# ------------------------------------------------------------------------- sorting


def db_sorted(values: list[str], descending: bool) -> list[str]:
    """Text in the database's own collation order (C or a locale, as initdb chose)."""
    direction = "DESC" if descending else "ASC"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT v FROM unnest(%s::text[]) AS v ORDER BY v {direction}", [values])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize("key", tables.sortable_keys())
@pytest.mark.parametrize("descending", [False, True])
def test_every_column_sorts_with_empty_values_last(client_a, portfolio, key, descending):
    column = tables.BY_KEY[key]
    response = client_a.get("/flex/", {"ordering": ("-" if descending else "") + key})
    rows = response.context["rows"]
    assert len(rows) == len(ALL_A)
    values = [row[column.field] for row in rows]
    present = [v for v in values if v is not None]
    # Every empty value after every present one, in both directions.
    assert values == present + [None] * (len(values) - len(present))
    if column.type == "text":
        assert present == db_sorted(present, descending)
    else:
        assert present == sorted(present, reverse=descending)


def test_default_order_is_lowest_balance_first_and_ties_by_name(client_a, portfolio):
    rows = client_a.get("/flex/").context["rows"]
    assert rows[0]["team__team_id"] == portfolio.teams["low"].team_id
    assert rows[-1]["team__team_id"] == portfolio.teams["expired"].team_id  # no rate: last


def test_sort_links_flip_direction_and_keep_filters(client_a, portfolio):
    response = client_a.get("/flex/", {"bucket": "all", "ordering": "team_name"})
    headers = {h["column"].key: h for h in response.context["headers"]}
    assert "ordering=-team_name" in headers["team_name"]["url"]
    assert "bucket=all" in headers["team_name"]["url"]
    assert headers["team_name"]["aria_sort"] == "ascending"
    assert "ordering=flex_total_tokens" in headers["flex_total_tokens"]["url"]
    assert b'aria-sort="ascending"' in response.content


# ---------------------------------------------------------------- bad parameters


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        ({"bucket": "lt10"}, "bucket"),
        ({"manager": "bob"}, "manager"),
        ({"balance_min": "abc"}, "balance_min"),
        ({"balance_max": "140"}, "balance_max"),
        ({"balance_min": "60", "balance_max": "10"}, "below the minimum"),
        ({"end_from": "2026-02-30"}, "end_from"),
        ({"end_from": "2026-06-01", "end_to": "2026-01-01"}, "ends before it starts"),
        ({"ordering": "password"}, "ordering"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"page": "two"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "many"}, "page_size"),
    ],
)
def test_bad_parameters_say_what_is_wrong(client_a, portfolio, params, mentions):
    response = client_a.get("/flex/", params)
    assert response.status_code == 200
    problems = " ".join(response.context["problems"])
    assert mentions in problems
    assert b"filter-errors" in response.content


def test_a_page_past_the_end_shows_the_last_page(client_a, portfolio):
    response = client_a.get("/flex/", {"page_size": "3", "page": "9"})
    assert response.context["page"].number == 3
    assert len(shown(response)) == 1
    assert "does not exist" in " ".join(response.context["problems"])


# ------------------------------------------------------------ counts and paging


def test_counts_of_the_bucket_tabs_follow_the_other_filters(client_a, portfolio, tenants):
    tabs = {t["key"]: t["count"] for t in client_a.get("/flex/").context["bucket_tabs"]}
    assert tabs == {"": 7, "lt20": 1, "20to30": 1, "onboarding": 1, "additional": 1, "all": 6}
    mine = client_a.get("/flex/", {"manager": tenants.a_manager.pk, "bucket": "lt20"})
    tabs = {t["key"]: t["count"] for t in mine.context["bucket_tabs"]}
    assert tabs == {"": 2, "lt20": 1, "20to30": 1, "onboarding": 0, "additional": 0, "all": 2}
    assert mine.context["paginator"].count == 1


def test_pagination(client_a, portfolio):
    first = client_a.get("/flex/", {"page_size": "3", "ordering": "team_id"})
    second = client_a.get("/flex/", {"page_size": "3", "ordering": "team_id", "page": "2"})
    assert first.context["paginator"].count == 7
    assert first.context["paginator"].num_pages == 3
    assert len(shown(first)) == 3 and len(shown(second)) == 3
    assert not set(shown(first)) & set(shown(second))
    assert b"Showing <strong>4\xe2\x80\x936</strong> of" in second.content
    assert "ordering=team_id" in second.context["page_query"]


# ------------------------------------------------------------------ column chooser


def test_column_chooser_is_remembered_per_user(client_a, portfolio):
    response = client_a.post(
        "/flex/columns/",
        {"columns": ["team_name", "flex_balance_rate", "team_id"], "next": "/flex/?bucket=all"},
    )
    assert response.status_code == 302 and response["Location"] == "/flex/?bucket=all"
    page = client_a.get("/flex/")
    assert [c.key for c in page.context["columns"]] == [
        "team_name",
        "flex_balance_rate",
        "team_id",
    ]
    assert b"Projected end" not in page.content.split(b"<tbody>")[0].split(b"<thead>")[1]
    client_a.post("/flex/columns/", {"reset": "1"})
    keys = [c.key for c in client_a.get("/flex/").context["columns"]]
    assert keys == list(tables.SCREEN_DEFAULT_KEYS)


def test_column_chooser_refuses_an_outside_redirect(client_a, portfolio):
    response = client_a.post(
        "/flex/columns/", {"columns": ["team_name"], "next": "https://evil.example/"}
    )
    assert response["Location"] == "/flex/"


# -------------------------------------------------------------------- query count


def _many_teams(partner, count: int) -> None:
    account = make_account("C-MANY", "Many Teams Inc")
    teams = Team.unscoped.using(MAINT).bulk_create(
        Team(team_id=f"M-{i:04d}", name=f"Many {i:04d}", account=account) for i in range(count)
    )
    TeamLink.unscoped.using(MAINT).bulk_create(
        TeamLink(partner=partner, team=team, source="operator") for team in teams
    )
    FlexSnapshot.unscoped.using(MAINT).bulk_create(
        FlexSnapshot(
            partner=partner,
            team=team,
            as_of=D,
            flex_total_tokens=1000,
            flex_tokens_balance=i * 7 % 1000,
            flex_tokens_consumption=1000 - i * 7 % 1000,
            flex_purchased_tokens=1000,
            flex_additional_tokens=0,
            flex_balance_rate=(i * 7 % 1000) / 1000,
            flex_consumption_rate_30=1.5,
            flex_consumption_rate_180=1.0,
        )
        for i, team in enumerate(teams)
    )


def test_the_list_runs_the_same_queries_for_10_and_100_rows(client_a, portfolio, tenants):
    _many_teams(tenants.a, 120)
    client_a.get("/flex/")  # warm the session and caches
    counts = {}
    for size in (10, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client_a.get("/flex/", {"page_size": size})
        assert len(response.context["rows"]) == size
        counts[size] = len(queries)
    assert counts[10] == counts[100]
    assert counts[100] <= 16


def test_the_dashboard_query_count_does_not_grow(
    client_a, portfolio, tenants, django_assert_max_num_queries
):
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connections["default"]) as queries:
            assert client_a.get("/dashboard/").status_code == 200
        return len(queries)

    small = count()
    _many_teams(tenants.a, 120)
    assert count() == small
    # The page's reads, the open-leads panel (2) and the notifications bell.
    with django_assert_max_num_queries(21):
        client_a.get("/dashboard/")


# ------------------------------------------------------------------------ dashboard


def test_dashboard_widget_counts_and_links(client_a, portfolio):
    response = client_a.get("/dashboard/")
    assert response.context["counts"] == {
        "lt20": 1,
        "20to30": 1,
        "onboarding": 1,
        "additional": 1,
        "all": 6,
    }
    urls = {item["bucket"].key: item["url"] for item in response.context["widget"]}
    assert urls["lt20"] == "/flex/?bucket=lt20"
    assert b'data-testid="count-all">6<' in response.content


def test_dashboard_for_my_teams(client, portfolio, tenants):
    client.force_login(tenants.a_manager)
    response = client.get("/dashboard/")  # account managers start with their own teams
    assert response.context["scope"] == "mine"
    assert response.context["counts"] == {
        "lt20": 1,
        "20to30": 1,
        "onboarding": 0,
        "additional": 0,
        "all": 2,
    }
    url = {i["bucket"].key: i["url"] for i in response.context["widget"]}["lt20"]
    assert url == f"/flex/?bucket=lt20&manager={tenants.a_manager.pk}"
    everyone = client.get("/dashboard/", {"scope": "all"})
    assert everyone.context["counts"]["all"] == 6


def test_dashboard_panels(client_a, portfolio):
    context = client_a.get("/dashboard/").context
    assert [r["team__team_id"] for r in context["soon"]] == [portfolio.teams["low"].team_id]
    assert context["soon_count"] == 1
    assert context["expiring_tokens"] == 200 and context["expiring_teams"] == 1
    # "watch" moved from healthy to 20-30% overnight; "low" was already under 20%.
    entered = {c["bucket"].key: c["count"] for c in context["entered_counts"]}
    assert entered == {"lt20": 0, "20to30": 1, "onboarding": 1, "additional": 1, "all": 4}
    watch = next(
        r for r in context["entered"] if r["team__team_id"] == portfolio.teams["watch"].team_id
    )
    assert [b.key for b in watch["buckets"]] == ["20to30"] and not watch["new_to_flex"]
    assert "leads" not in context  # no refill leads before the quotes release


def test_dashboard_for_a_manager_without_customers_says_what_to_do(client, portfolio, tenants):
    from tests.factories import make_user

    newcomer = make_user("new@a.example", tenants.a, "account_manager")
    client.force_login(newcomer)
    response = client.get("/dashboard/")
    assert response.context["counts"]["all"] == 0
    assert b"no-own-teams" in response.content


def test_a_day_without_figures_is_named(client_a, portfolio):
    response = client_a.get("/flex/", {"as_of": "2020-01-01"})
    assert shown(response) == []
    assert "no figures for 2020-01-01; the latest are for 2026-03-10" in " ".join(
        response.context["problems"]
    )


def test_dashboard_without_figures_says_what_to_do(client, tenants):
    client.force_login(tenants.a_admin)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert b"No Flex figures yet" in response.content
    listing = client.get("/flex/")
    assert b"No Flex figures yet" in listing.content


# ------------------------------------------------------------------------ isolation


def test_partner_b_list_never_shows_a_only_teams(client_b, portfolio):
    response = client_b.get("/flex/")
    assert set(shown(response)) == {
        portfolio.teams["b_only"].team_id,
        portfolio.teams["shared"].team_id,
    }
    rows = {r["team__team_id"]: r for r in response.context["rows"]}
    shared = rows[portfolio.teams["shared"].team_id]
    assert shared["flex_tokens_balance"] == 150  # B's own figures, not A's
    assert shared["account_manager"] == "Bea Admin"
    assert b"Low Balance" not in response.content
    for q in ("Low Balance", "T-001", "Acme"):
        assert shown(client_b.get("/flex/", {"q": q})) == []


def test_partner_a_never_sees_b_figures_or_customer(client_a, portfolio):
    response = client_a.get("/flex/", {"q": "Bravo"})
    assert shown(response) == []
    assert b"Bravo Secret" not in client_a.get("/flex/").content
    assert b"Bea Admin" not in client_a.get("/flex/").content


def test_signed_out_visitors_are_sent_to_sign_in(client, portfolio):
    for url in ("/dashboard/", "/flex/", "/flex/export/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
