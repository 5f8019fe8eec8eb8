"""Keys and people: read-only keys cannot write, revoked keys fail, operator keys call
only imports, roles limit people, sessions need CSRF; one error body for every status;
throttling per key; ETag and 304."""

from __future__ import annotations

import pytest
from django.utils import timezone

from spp.models import ApiKey, hash_api_key
from tests.conftest import committed_db
from tests.factories import MAINT

pytestmark = committed_db

READS = (
    "/api/v1/partner/",
    "/api/v1/flex/teams/",
    "/api/v1/flex/teams/T-001/",
    "/api/v1/flex/widget/",
    "/api/v1/flex/export/?format=csv",
    "/api/v1/teams/",
    "/api/v1/teams/T-001/",
    "/api/v1/teams/T-001/events/",
    "/api/v1/teams/T-001/usage/",
    "/api/v1/teams/T-001/usage/products/",
    "/api/v1/teams/T-001/usage/users/",
    "/api/v1/teams/T-001/usage/daily/",
    "/api/v1/accounts/",
    "/api/v1/accounts/C-ACME/",
    "/api/v1/contacts/",
    "/api/v1/packs/",
    "/api/v1/packs/A-LOW-1/",
    "/api/v1/leads/",
    "/api/v1/leads/1/",
    "/api/v1/quotes/",
)


def writes(world, quote: str) -> list[tuple[str, str, dict]]:
    contact = world.contacts["a"].pk
    return [
        ("post", "/api/v1/contacts/", {"account": "C-ACME", "name": "New"}),
        ("patch", f"/api/v1/contacts/{contact}/", {"name": "x"}),
        ("put", f"/api/v1/contacts/{contact}/", {"account": "C-ACME", "name": "x"}),
        ("delete", f"/api/v1/contacts/{contact}/", {}),
        ("patch", "/api/v1/accounts/C-ACME/", {"account_manager_id": None}),
        ("post", "/api/v1/quotes/", {"team": "T-001"}),
        ("patch", f"/api/v1/quotes/{quote}/", {"notes": "x"}),
        ("post", f"/api/v1/quotes/{quote}/send/", {}),
        ("post", f"/api/v1/quotes/{quote}/accept/", {}),
        ("post", f"/api/v1/quotes/{quote}/decline/", {"reason": "x"}),
    ]


@pytest.fixture
def quote(world) -> str:
    return world.api("a_write").post("/api/v1/quotes/", {"team": "T-001"}).json()["number"]


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"code", "message", "field_errors"}
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["field_errors"], dict)
    if code:
        assert body["code"] == code
    return body


def test_read_only_key_reads_everything_and_writes_nothing(world, quote):
    read = world.api("a_read")
    for url in READS:
        assert read.get(url).status_code == 200, url
    for method, url, body in writes(world, quote):
        response = getattr(read, method)(url, body)
        assert_error(response, 403, "permission_denied")
        assert "read-only" in response.json()["message"], url


def test_revoked_and_unknown_keys_get_401_everywhere(world, quote):
    ApiKey.unscoped.using(MAINT).filter(key_hash=hash_api_key(world.keys["a_write"])).update(
        revoked_at=timezone.now()
    )
    revoked = world.api("a_write")
    for url in READS:
        body = assert_error(revoked.get(url), 401, "authentication_failed")
        assert "revoked" in body["message"]
    for method, url, data in writes(world, quote):
        assert_error(getattr(revoked, method)(url, data), 401)
    response = world.api().get("/api/v1/flex/teams/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Api-Key"


def test_operator_key_calls_only_imports(world, quote):
    operator = world.api("operator")
    for url in READS:
        body = assert_error(operator.get(url), 403, "permission_denied")
        assert "operator" in body["message"]
    for method, url, data in writes(world, quote):
        assert_error(getattr(operator, method)(url, data), 403)
    # Partner keys, people and read-only operator keys may not import.
    for client in (world.api("a_write"), world.api(user=world.t.a_admin)):
        assert_error(client.post("/api/v1/imports/", {"kind": "teams"}), 403)
    body = assert_error(world.api("operator_read").post("/api/v1/imports/", {}), 403)
    assert "read-only" in body["message"]
    assert_error(world.api().post("/api/v1/imports/", {}), 401)


def test_people_roles_limit_writes(world, quote):
    viewer = world.api(user=world.t.a_viewer)
    for url in READS:
        assert viewer.get(url).status_code == 200, url
    for method, url, body in writes(world, quote):
        assert_error(getattr(viewer, method)(url, body), 403, "permission_denied")
    manager = world.api(user=world.t.a_manager)  # edits contacts, may not assign accounts
    assert (
        manager.patch("/api/v1/accounts/C-ACME/", {"account_manager_id": None}).status_code == 403
    )
    response = manager.post("/api/v1/contacts/", {"account": "C-ACME", "name": "Ok"})
    assert response.status_code == 201


def test_session_writes_need_the_csrf_token(world):
    browser = world.api(user=world.t.a_admin, csrf=True)
    response = browser.post("/api/v1/contacts/", {"account": "C-ACME", "name": "No token"})
    assert_error(response, 403, "permission_denied")
    assert "CSRF" in response.json()["message"]
    assert browser.get("/api/v1/contacts/").status_code == 200


def test_error_bodies_for_each_status(world, quote, settings):
    a = world.api("a_write")
    body = assert_error(a.get("/api/v1/flex/teams/?bucket=lt10&as_of=tomorrow"), 400, "invalid")
    assert set(body["field_errors"]) == {"bucket", "as_of"}
    body = assert_error(a.get("/api/v1/flex/teams/?balance_min=50&balance_max=10"), 400)
    assert "balance_max" in body["field_errors"]
    body = assert_error(a.post("/api/v1/quotes/", {"team": "T-001", "lines": [{"tokens": 0}]}), 400)
    assert (
        "lines.0.tokens" in body["field_errors"] and "lines.0.description" in body["field_errors"]
    )
    assert_error(a.get("/api/v1/flex/export/?format=pdf"), 400)
    assert_error(a.get("/api/v1/flex/teams/?page=99"), 404, "not_found")
    assert_error(a.get("/api/v1/teams/NOPE/"), 404, "not_found")
    assert_error(a.get("/api/v1/no/such/thing/"), 404, "not_found")
    response = a.delete("/api/v1/flex/teams/T-001/")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]
    assert a.post(f"/api/v1/quotes/{quote}/send/").status_code == 200
    assert_error(a.post(f"/api/v1/quotes/{quote}/send/"), 409, "conflict")
    assert_error(a.patch(f"/api/v1/quotes/{quote}/", {"notes": "late"}), 409, "conflict")
    response = a.post("/api/v1/contacts/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_throttle_per_key_with_retry_after(world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/min", "api_user": "3/min", "imports": "1/min"},
    }
    a, b = world.api("a_read"), world.api("b_read")
    for _ in range(3):
        assert a.get("/api/v1/partner/").status_code == 200
    response = a.get("/api/v1/partner/")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    # Another key (even of another partner) has its own budget.
    assert b.get("/api/v1/partner/").status_code == 200
    assert world.api("a_write").get("/api/v1/partner/").status_code == 200


@pytest.mark.parametrize(
    "url", ["/api/v1/flex/teams/?bucket=lt20", "/api/v1/flex/teams/T-001/", "/api/v1/contacts/"]
)
def test_etag_and_304_on_lists_and_details(world, url):
    a = world.api("a_write")
    first = a.get(url)
    etag = first["ETag"]
    assert etag and "Authorization" in first["Vary"]
    again = a.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    assert a.get(url, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_etag_changes_when_the_data_changes(world):
    a = world.api("a_write")
    url = f"/api/v1/contacts/{world.contacts['a'].pk}/"
    etag = a.get(url)["ETag"]
    assert a.patch(url, {"phone": "+1 555 0100"}).status_code == 200
    changed = a.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["phone"] == "+1 555 0100"


def test_key_use_is_recorded(world):
    key = ApiKey.unscoped.using(MAINT).get(key_hash=hash_api_key(world.keys["a_read"]))
    assert key.last_used_at is None
    world.api("a_read").get("/api/v1/partner/")
    key.refresh_from_db(using=MAINT)
    assert key.last_used_at is not None
