"""Usage reporting endpoints (SPEC §9): `teams/{team}/usage/`, `…/products/`, `…/users/`,
`…/daily/`.

The API and the web pages give the same numbers for the same team and range (each
compared, for every preset range and a custom one, with the page's context or its own
export); the hand-checked figures of tests/usage/test_reporting_views.py hold through
the API; bad ranges are 400s naming the parameter; users are pseudonymous labels only;
B (key or person) gets 404 for A's team; query counts are pinned and flat.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.api.api_data import ANN, BOB, CARA, grow_usage
from tests.conftest import committed_db
from usage import figures
from usage.imports.pseudonym import anonymous_key, user_key

pytestmark = committed_db

BASE = "/api/v1/teams/T-001/usage/"
ENDPOINTS = ("", "products/", "users/", "daily/")
RANGES = (
    {},
    {"range": "30d"},
    {"range": "3m"},
    {"range": "6m"},
    {"range": "9m"},
    {"range": "12m"},
    {"start": "2025-12-15", "end": "2026-01-31"},
    {"range": "custom", "start": "2025-11-15", "end": "2026-03-09"},
)


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    """Hundreds of calls per test: the per-key limit is tested in test_access.py."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": None, "api_user": None, "imports": None},
    }


def label(email: str) -> str:
    keys = [user_key(e) for e in (ANN, BOB, CARA)] + [anonymous_key()]
    labels = figures.user_labels("T-001", keys, anonymous_key())
    return labels[anonymous_key() if email == "*****" else user_key(email)]


def body(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def every_row(client, url: str, params: dict, page_size: int = 2) -> list[dict]:
    """All pages of a list, in order (small pages: the paging must be stable)."""
    rows: list[dict] = []
    page = 1
    while True:
        data = body(client.get(url, {**params, "page": page, "page_size": page_size}))
        rows += data["results"]
        assert data["count"] >= len(rows)
        if data["next"] is None:
            assert len(rows) == data["count"]
            return rows
        page += 1


def sheet(response) -> list[tuple]:
    assert response.status_code == 200, response.content
    values = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    return [tuple(v.date() if isinstance(v, datetime) else v for v in row) for row in values[1:]]


# ------------------------------------------------------------------ API = web


@pytest.mark.parametrize("team", ["T-001", "T-SH1"])
def test_the_api_gives_the_web_pages_numbers_for_every_range(usage_world, client, team):
    w = usage_world
    client.force_login(w.t.a_admin)
    api = w.api("a_read")
    base = f"/api/v1/teams/{team}/usage/"
    page = f"/teams/{team}/usage/"
    for params in RANGES:
        summary = body(api.get(base, params))
        ctx = client.get(page, params).context
        assert ctx["range_problem"] == "", params
        rng, snapshot = ctx["range"], ctx["snapshot"]
        assert summary["range"] == {
            "key": rng.key,
            "label": rng.label,
            "start": rng.start.isoformat(),
            "end": rng.end.isoformat(),
            "days": rng.days,
            "months": rng.months,
        }, params
        assert summary["tokens_used"] == ctx["range_tokens"], params
        assert summary["avg_tokens_per_month"] == ctx["range_avg"], params
        assert summary["days_used"] == ctx["range_days_used"], params
        assert summary["products_used"] == ctx["range_products"], params
        assert summary["users"] == ctx["range_users"], params
        assert summary["tokens_added_removed_7d"] == ctx["change_net"], params
        assert summary["pool"] == {
            "as_of": snapshot.as_of.isoformat(),
            "flex_total_tokens": snapshot.flex_total_tokens,
            "flex_tokens_consumption": snapshot.flex_tokens_consumption,
            "flex_tokens_balance": snapshot.flex_tokens_balance,
            "flex_balance_rate": snapshot.flex_balance_rate,
            "low_balance": ctx["low_balance"],
        }

        # Each list against the page's own export of the same table (rounded as there).
        export = {**params, "format": "xlsx"}
        products = every_row(api, base + "products/", params)
        assert [
            (
                p["product"],
                p["users"],
                p["tokens"],
                round(p["avg_tokens_per_month"], 1),
                None if p["share"] is None else round(p["share"], 3),
            )
            for p in products
        ] == sheet(client.get(page + "products/", {**export, "export": "products"})), params

        users = every_row(api, base + "users/", params)
        assert [
            (
                u["user"],
                ", ".join(u["products"]),
                u["product_count"],
                u["tokens"],
                round(u["avg_tokens_per_month"], 1),
                u["days_used"],
            )
            for u in users
        ] == sheet(client.get(page + "users/", {**export, "export": "users"})), params

        days = every_row(api, base + "daily/", params, page_size=100)
        assert [d["day"] for d in days] == [
            (rng.start + timedelta(days=i)).isoformat() for i in range(rng.days)
        ]
        used = [(date.fromisoformat(d["day"]), d["tokens"], d["users"]) for d in days if d["users"]]
        assert used == sheet(client.get(page, {**export, "export": "daily"})), params
        assert sum(d["tokens"] for d in days) == ctx["range_tokens"]


def test_ordering_is_the_pages_sort(usage_world, client):
    w = usage_world
    client.force_login(w.t.a_admin)
    api = w.api("a_read")
    for table, keys in (
        ("products", ("product", "-product", "users", "-share", "avg_tokens_per_month")),
        ("users", ("user", "-user", "days_used", "-days_used", "product_count", "tokens")),
    ):
        for key in keys:
            params = {"range": "3m", "ordering": key}
            rows = every_row(api, BASE + f"{table}/", params)
            web = sheet(
                client.get(
                    f"/teams/T-001/usage/{table}/",
                    {"range": "3m", "sort": key, "export": table, "format": "xlsx"},
                )
            )
            first = "product" if table == "products" else "user"
            assert [r[first] for r in rows] == [row[0] for row in web], (table, key)
    newest = body(api.get(BASE + "daily/", {"range": "30d", "ordering": "-day"}))["results"]
    assert newest[0]["day"] == "2026-03-09"
    busiest = body(api.get(BASE + "daily/", {"range": "30d", "ordering": "-tokens"}))["results"]
    assert [(d["day"], d["tokens"]) for d in busiest[:3]] == [
        ("2026-02-28", 600),
        ("2026-03-01", 500),
        ("2026-02-08", 10),  # ties (10 on 02-08 and 03-09) by day
    ]


# ------------------------------------------------------------------ hand-checked figures


def test_summary_of_the_past_3_months(usage_world):
    data = body(usage_world.api("a_read").get(BASE, {"range": "3m"}))
    assert data == {
        "team_id": "T-001",
        "team_name": "Low Balance Ltd",
        "range": {
            "key": "3m",
            "label": "Past 3 months",
            "start": "2025-12-01",
            "end": "2026-02-28",
            "days": 90,
            "months": 3.0,
        },
        # 7 + 10 + 10 + 7 + 7 + 10 + 10 + 600 on 12-01, 12-15, 01-10, 02-07, 02-08, 02-28
        "tokens_used": 661,
        "avg_tokens_per_month": pytest.approx(661 / 3),
        "days_used": 6,
        "products_used": 2,
        "users": 4,  # ann, bob, cara, anonymous
        "pool": {
            "as_of": "2026-03-10",
            "flex_total_tokens": 1000,
            "flex_tokens_consumption": 900,
            "flex_tokens_balance": 100,
            "flex_balance_rate": 0.1,
            "low_balance": True,
        },
        "tokens_added_removed_7d": -20,  # the adjustment of 2026-03-08
    }


def test_default_range_is_the_past_30_days(usage_world):
    a = usage_world.api("a_read")
    data = body(a.get(BASE))
    assert data["range"]["key"] == "30d" and data["range"]["start"] == "2026-02-08"
    assert (data["tokens_used"], data["users"], data["products_used"]) == (1120, 3, 2)
    assert data["avg_tokens_per_month"] == 1120  # one month
    assert body(a.get(BASE + "daily/"))["count"] == 30


def test_products_users_and_days_of_the_past_3_months(usage_world):
    a = usage_world.api("a_read")
    products = body(a.get(BASE + "products/", {"range": "3m"}))
    assert products["count"] == 2 and products["next"] is None
    assert products["results"] == [
        {
            "product": "AutoCAD",
            "users": 3,
            "tokens": 621,
            "avg_tokens_per_month": 207.0,
            "share": pytest.approx(621 / 661),
        },
        {
            "product": "Revit",
            "users": 2,
            "tokens": 40,
            "avg_tokens_per_month": pytest.approx(40 / 3),
            "share": pytest.approx(40 / 661),
        },
    ]
    users = body(a.get(BASE + "users/", {"range": "3m"}))["results"]
    assert [(u["user"], u["products"], u["tokens"], u["days_used"]) for u in users] == [
        (label(CARA), ["AutoCAD"], 600, 1),
        (label(BOB), ["Revit"], 30, 3),
        (label(ANN), ["AutoCAD", "Revit"], 24, 2),  # 12-01 (two products, one day), 01-10
        ("Anonymous", ["AutoCAD"], 7, 1),
    ]
    days = body(a.get(BASE + "daily/", {"start": "2025-12-01", "end": "2025-12-03"}))
    assert days["results"] == [
        {"day": "2025-12-01", "tokens": 17, "users": 1},
        {"day": "2025-12-02", "tokens": 0, "users": 0},
        {"day": "2025-12-03", "tokens": 0, "users": 0},
    ]


def test_users_are_pseudonymous_labels_only(usage_world):
    a = usage_world.api("a_read")
    text = a.get(BASE + "users/", {"range": "12m"}).content.decode()
    for email in (ANN, BOB, CARA):
        assert email not in text and email.split("@")[0] not in text
        assert user_key(email) not in text and user_key(email)[:12] not in text
    assert anonymous_key() not in text
    for row in body(a.get(BASE + "users/", {"range": "12m"}))["results"]:
        assert set(row) == {
            "user",
            "products",
            "product_count",
            "tokens",
            "avg_tokens_per_month",
            "days_used",
        }
        assert row["user"] == "Anonymous" or row["user"].startswith("User ")
    # The same person has another label in another team (labels are per team).
    assert label(ANN) != figures.user_labels("T-SH1", [user_key(ANN)])[user_key(ANN)]


def test_a_team_without_usage_or_figures(usage_world):
    a = usage_world.api("a_read")
    data = body(a.get("/api/v1/teams/T-006/usage/", {"range": "12m"}))  # "expired": no usage
    assert (data["tokens_used"], data["users"], data["products_used"]) == (0, 0, 0)
    assert data["pool"]["flex_total_tokens"] == 0 and data["pool"]["flex_balance_rate"] is None
    assert data["pool"]["low_balance"] is False
    assert body(a.get("/api/v1/teams/T-006/usage/products/"))["results"] == []
    days = body(a.get("/api/v1/teams/T-006/usage/daily/"))
    assert days["count"] == 30 and {d["tokens"] for d in days["results"]} == {0}
    # No Flex figures at all yet: pool is null.
    from flex.models import FlexSnapshot
    from tests.factories import MAINT

    FlexSnapshot.unscoped.using(MAINT).filter(team__team_id="T-006").delete()
    assert body(a.get("/api/v1/teams/T-006/usage/"))["pool"] is None


# ------------------------------------------------------------------ bad parameters


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"range": "5y"}, {"range"}),
        ({"range": "custom"}, {"start", "end"}),
        ({"range": "3m", "start": "2026-01-01", "end": "2026-01-31"}, {"range"}),
        ({"start": "2026-01-01"}, {"end"}),
        ({"end": "2026-01-01"}, {"start"}),
        ({"start": "yesterday", "end": "2026-01-31"}, {"start"}),
        ({"start": "2026-01-01", "end": "2026-02-30"}, {"end"}),
        ({"start": "0001-01-01", "end": "0001-01-02"}, {"start"}),
        ({"start": "1999-12-31", "end": "2000-01-31"}, {"start"}),
        ({"start": "2026-03-05", "end": "2026-03-01"}, {"end"}),  # before start
        ({"start": "2026-03-01", "end": "2026-03-10"}, {"end"}),  # D is not complete
        ({"start": "9999-12-31", "end": "9999-12-31"}, {"end"}),
        ({"start": "2020-01-01", "end": "2026-03-09"}, {"end"}),  # over three years
        ({"ordering": "email"}, {"ordering"}),
        ({"ordering": "--tokens"}, {"ordering"}),
        ({"range": "3m\x00"}, {"range"}),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(usage_world, params, fields):
    a = usage_world.api("a_read")
    for endpoint in ENDPOINTS:
        if "ordering" in params and endpoint == "":
            continue  # the summary has no ordering: ignored like any unknown parameter
        response = a.get(BASE + endpoint, params)
        assert response.status_code == 400, (endpoint, params, response.content)
        data = response.json()
        assert data["code"] == "invalid" and set(data["field_errors"]) == fields, data
        assert data["message"]


def test_bad_pages_are_404_and_page_size_is_capped(usage_world):
    a = usage_world.api("a_read")
    response = a.get(BASE + "daily/", {"page": 99})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    data = body(a.get(BASE + "daily/", {"range": "12m", "page_size": 1000}))
    assert data["count"] == 365 and len(data["results"]) == 365  # 365 ≤ the cap of 500
    first = body(a.get(BASE + "daily/", {"range": "12m"}))
    assert (
        len(first["results"]) == 50 and "page=2" in first["next"] and "range=12m" in first["next"]
    )


# ------------------------------------------------------------------ who sees what


@pytest.mark.parametrize("who", ["b_key", "b_user"])
def test_b_gets_404_for_a_team_and_sees_the_shared_one(usage_world, who):
    w = usage_world
    b = w.api("b_read") if who == "b_key" else w.api(user=w.t.b_admin)
    for endpoint in ENDPOINTS:
        for team in ("T-001", "T-NONE", "NOPE"):
            response = b.get(f"/api/v1/teams/{team}/usage/{endpoint}", {"range": "3m"})
            assert response.status_code == 404, (team, endpoint)
            assert response.json()["code"] == "not_found"
        # The shared team's usage is team-level data: every linked partner sees it.
        assert b.get(f"/api/v1/teams/T-SH1/usage/{endpoint}").status_code == 200
    shared = body(b.get("/api/v1/teams/T-SH1/usage/", {"range": "3m"}))
    assert (shared["tokens_used"], shared["users"]) == (12, 1)
    assert shared["pool"]["flex_tokens_balance"] == 150  # B's own figures of the team
    assert body(b.get("/api/v1/teams/T-B01/usage/", {"range": "3m"}))["tokens_used"] == 3


def test_a_reads_with_a_read_only_key_or_as_a_viewer(usage_world):
    w = usage_world
    for client in (w.api("a_read"), w.api("a_write"), w.api(user=w.t.a_viewer)):
        for endpoint in ENDPOINTS:
            assert client.get(BASE + endpoint, {"range": "3m"}).status_code == 200, endpoint
        assert client.get("/api/v1/teams/T-B01/usage/").status_code == 404  # B's own team
        assert client.get("/api/v1/teams/T-NONE/usage/").status_code == 404  # nobody's
    assert (
        body(w.api("a_read").get("/api/v1/teams/T-SH1/usage/"))["pool"]["flex_tokens_balance"]
        == 900
    )


def test_operator_keys_no_key_and_writes_are_refused(usage_world):
    w = usage_world
    for endpoint in ENDPOINTS:
        url = BASE + endpoint
        for key in ("operator", "operator_read"):
            response = w.api(key).get(url)
            assert response.status_code == 403 and "operator" in response.json()["message"]
        assert w.api().get(url).status_code == 401
        response = w.api("a_write").post(url, {})
        assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


# ------------------------------------------------------------------ caching and queries


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_etag_and_304(usage_world, endpoint):
    a = usage_world.api("a_read")
    url = BASE + endpoint + "?range=30d"
    first = a.get(url)
    etag = first["ETag"]
    assert etag and "Authorization" in first["Vary"]
    again = a.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    # Another range is another body, hence another tag.
    assert a.get(BASE + endpoint + "?range=12m", HTTP_IF_NONE_MATCH=etag).status_code == 200
    # New usage in the range changes the answer, and its tag.
    grow_usage("T-001", users=1, products=("Maya",), days=3)
    changed = a.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


# Authentication, partner and scope take 10 of each (BEGIN and COMMIT included); then the
# team, and the reporting's own: summary 1 usage + 1 daily + 1 snapshot + 4 for the week's
# token changes; products 1 usage + 1 names; users 1 labels + 1 usage + 1 names; daily 1.
PINNED = {"": 18, "products/": 13, "users/": 14, "daily/": 12}


def test_query_counts_are_pinned_and_the_same_for_a_small_and_a_bigger_team(
    usage_world, django_assert_max_num_queries
):
    a = usage_world.api("a_read")
    a.get("/api/v1/partner/")  # the once-a-minute last-use stamp is not part of a read
    params = ({"range": "30d"}, {"range": "12m"}, {"start": "2025-11-15", "end": "2026-02-10"})

    def counts() -> dict[tuple[str, str], int]:
        result = {}
        for endpoint, pinned in PINNED.items():
            for query in params:
                with django_assert_max_num_queries(pinned):
                    with CaptureQueriesContext(connection) as queries:
                        response = a.get(BASE + endpoint, query)
                assert response.status_code == 200, (endpoint, query)
                result[(endpoint, repr(query))] = len(queries)
        return result

    small = counts()
    # 20 users × 4 products × the 120 days before D: 9,600 rows instead of 11 there (a
    # usage file replaces the days it holds), 20 users instead of 4, 4 products instead of 2.
    grow_usage("T-001", users=20, products=("AutoCAD", "Revit", "Maya", "Fusion"), days=120)
    big = body(a.get(BASE + "users/", {"range": "12m"}))
    assert big["count"] == 20 and len(big["results"]) == 20
    assert body(a.get(BASE + "products/", {"range": "12m"}))["count"] == 4
    assert counts() == small
