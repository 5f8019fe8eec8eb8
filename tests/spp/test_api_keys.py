"""API keys: hashed at rest, scoped read / read-write, revocable, one partner only."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from spp.models import ApiKey, ApiKeyScope, hash_api_key
from spp.services import create_api_key
from tests.conftest import committed_db
from tests.factories import make_tenants


def _key(partner, scope=ApiKeyScope.READ) -> str:
    return create_api_key(partner, name="test", scope=scope, using="maint")[1]


def _api(key: str | None = None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@committed_db
def test_key_is_stored_hashed_and_acts_for_its_partner():
    t = make_tenants()
    raw = _key(t.a)
    stored = ApiKey.unscoped.using("maint").get()
    assert raw not in (stored.key_hash, stored.prefix + "x")
    assert stored.key_hash == hash_api_key(raw)
    response = _api(raw).get("/api/v1/partner/")
    assert response.status_code == 200
    assert response.json()["csn"] == t.a.csn
    assert ApiKey.unscoped.using("maint").get().last_used_at is not None


@committed_db
def test_bad_and_revoked_keys_get_401():
    t = make_tenants()
    assert _api("spp_nonsense").get("/api/v1/partner/").status_code == 401
    raw = _key(t.a)
    ApiKey.unscoped.using("maint").update(revoked_at="2026-01-01T00:00:00Z")
    response = _api(raw).get("/api/v1/partner/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


@committed_db
def test_no_credentials_get_401_or_403():
    assert _api().get("/api/v1/partner/").status_code in (401, 403)


@committed_db
def test_read_only_key_cannot_write_and_no_key_manages_keys():
    t = make_tenants()
    read = _key(t.a)
    response = _api(read).post("/api/v1/api-keys/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "read-only" in response.json()["message"]
    write = _key(t.a, ApiKeyScope.READ_WRITE)
    assert _api(write).post("/api/v1/api-keys/", {"name": "x"}, format="json").status_code == 403


@committed_db
def test_admin_creates_lists_and_revokes_keys_in_own_partner_only():
    t = make_tenants()
    a = APIClient()
    a.force_authenticate(None)
    a.force_login(t.a_admin)
    created = a.post("/api/v1/api-keys/", {"name": "ERP", "scope": "read-write"}, format="json")
    assert created.status_code == 201, created.content
    raw = created.json()["key"]
    assert raw.startswith("spp_")
    assert _api(raw).get("/api/v1/partner/").json()["csn"] == t.a.csn
    assert [k["name"] for k in a.get("/api/v1/api-keys/").json()["results"]] == ["ERP"]
    assert "key" not in a.get("/api/v1/api-keys/").json()["results"][0]

    b = APIClient()
    b.force_login(t.b_admin)
    key_id = created.json()["id"]
    assert b.get("/api/v1/api-keys/").json()["results"] == []
    assert b.get(f"/api/v1/api-keys/{key_id}/").status_code == 404
    assert b.post(f"/api/v1/api-keys/{key_id}/revoke/").status_code == 404
    assert _api(raw).get("/api/v1/partner/").status_code == 200  # B could not revoke it

    revoked = a.post(f"/api/v1/api-keys/{key_id}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert _api(raw).get("/api/v1/partner/").status_code == 401


@committed_db
def test_b_key_gets_nothing_of_a():
    t = make_tenants()
    a_key = create_api_key(t.a, name="a", using="maint")[0]
    b_raw = _key(t.b, ApiKeyScope.READ_WRITE)
    b = _api(b_raw)
    assert b.get("/api/v1/partner/").json()["csn"] == t.b.csn
    assert b.get(f"/api/v1/api-keys/{a_key.pk}/").status_code in (403, 404)


@committed_db
def test_viewer_cannot_manage_keys(client):
    t = make_tenants()
    api = APIClient()
    api.force_login(t.a_viewer)
    assert api.get("/api/v1/api-keys/").status_code == 403


@committed_db
def test_create_api_key_command_prints_a_working_key(capsys):
    t = make_tenants()
    call_command("create_api_key", "--partner", t.b.csn, "--scope", "read-write")
    raw = capsys.readouterr().out.strip()
    assert _api(raw).get("/api/v1/partner/").json()["csn"] == t.b.csn
    assert ApiKey.unscoped.using("maint").get().scope == "read-write"


@committed_db
def test_create_api_key_command_rejects_unknown_partner():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No partner"):
        call_command("create_api_key", "--partner", "NOPE123", "--scope", "read")
