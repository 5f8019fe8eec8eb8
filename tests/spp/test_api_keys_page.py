"""Settings → API keys (/settings/api-keys/): a partner admin creates a key (shown once,
never again: only its prefix), lists and revokes it, and the revoked key gets 401 on the
API. Other roles get 403, another partner's admin 404, and every POST needs the CSRF
token."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from spp.models import ApiKey, Role, hash_api_key
from tests.conftest import committed_db
from tests.factories import MAINT, make_tenants, make_user

pytestmark = committed_db

PAGE = "/settings/api-keys/"


def revoke_url(key: ApiKey) -> str:
    return f"/settings/api-keys/{key.pk}/revoke/"


def api(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def shown_key(response) -> str:
    """The key in the page's one-time box (the input with data-testid="new-key-value")."""
    tag = re.search(r'<input[^>]*data-testid="new-key-value"[^>]*>', response.content.decode())
    assert tag, "the new key is not on the page"
    value = re.search(r'value="([^"]+)"', tag.group(0))
    assert value and value.group(1).startswith("spp_")
    return value.group(1)


def keys_of(partner) -> list[ApiKey]:
    return list(ApiKey.unscoped.using(MAINT).filter(partner=partner).order_by("pk"))


@pytest.fixture
def t():
    return make_tenants()


@pytest.fixture
def admin(client, t) -> Client:
    client.force_login(t.a_admin)
    return client


def test_admin_creates_a_key_shown_once_then_only_its_prefix(admin, t):
    empty = admin.get(PAGE)
    assert empty.status_code == 200 and "No keys yet." in empty.content.decode()

    created = admin.post(PAGE, {"name": "ERP sync", "scope": "read-write"})
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"  # no cache keeps the page with the key
    raw = shown_key(created)
    content = created.content.decode()
    assert "Key “ERP sync” created" in content and "shown only this once" in content

    [key] = keys_of(t.a)
    assert (key.name, key.scope, key.created_by_id) == ("ERP sync", "read-write", t.a_admin.pk)
    assert key.key_hash == hash_api_key(raw) and raw not in (key.key_hash, key.prefix)
    assert raw.startswith(key.prefix)
    # The key works for A, read and write.
    assert api(raw).get("/api/v1/partner/").json()["csn"] == t.a.csn

    # The page after (and every later one) never shows the key again: only its prefix.
    later = admin.get(PAGE)
    text = later.content.decode()
    assert raw not in text and raw[len(key.prefix) :] not in text
    assert 'data-testid="new-key"' not in text
    assert f"{key.prefix}…" in text and "ERP sync" in text and "Read and write" in text
    assert len(re.findall(r'data-testid="api-key-row"', text)) == 1


def test_admin_lists_and_revokes_a_key_which_then_gets_401(admin, t):
    admin.post(PAGE, {"name": "Nightly report", "scope": "read"})
    raw = shown_key(admin.post(PAGE, {"name": "To revoke", "scope": "read-write"}))
    text = admin.get(PAGE).content.decode()
    assert text.index("To revoke") < text.index("Nightly report")  # newest first
    assert text.count('data-testid="revoke-key"') == 2
    assert api(raw).get("/api/v1/flex/teams/").status_code == 200

    key = next(k for k in keys_of(t.a) if k.name == "To revoke")
    response = admin.post(revoke_url(key), follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert f"The key “To revoke” ({key.prefix}…) is revoked." in response.content.decode()
    key.refresh_from_db(using=MAINT)
    assert key.revoked_at is not None

    refused = api(raw).get("/api/v1/flex/teams/")
    assert refused.status_code == 401 and refused.json()["code"] == "authentication_failed"
    text = admin.get(PAGE).content.decode()
    assert "Revoked " in text and text.count('data-testid="revoke-key"') == 1
    # Revoking again changes nothing (the date stays the first revocation's).
    first = key.revoked_at
    assert admin.post(revoke_url(key)).status_code == 302
    key.refresh_from_db(using=MAINT)
    assert key.revoked_at == first


def test_a_form_without_a_name_creates_nothing(admin, t):
    response = admin.post(PAGE, {"name": "", "scope": "read"})
    assert response.status_code == 400 and keys_of(t.a) == []
    response = admin.post(PAGE, {"name": "x", "scope": "admin"})
    assert response.status_code == 400 and keys_of(t.a) == []
    assert "spp_" not in response.content.decode()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ACCOUNT_MANAGER, Role.SALES_MANAGER])
def test_other_roles_get_403(client, t, role):
    raw = shown_key(_admin_client(t).post(PAGE, {"name": "A key", "scope": "read"}))
    [key] = keys_of(t.a)
    member = {
        Role.VIEWER: t.a_viewer,
        Role.ACCOUNT_MANAGER: t.a_manager,
    }.get(role) or make_user("sales@a.example", t.a, Role.SALES_MANAGER, full_name="Sal Es")
    client.force_login(member)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"name": "Mine", "scope": "read-write"}).status_code == 403
    assert client.post(revoke_url(key)).status_code == 403
    assert len(keys_of(t.a)) == 1
    key.refresh_from_db(using=MAINT)
    assert key.revoked_at is None and api(raw).get("/api/v1/partner/").status_code == 200


def test_anonymous_is_sent_to_sign_in(client, t):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(PAGE, {"name": "x", "scope": "read"}).status_code == 302
    assert keys_of(t.a) == []


def test_b_admin_cannot_see_or_revoke_a_keys(client, t):
    raw = shown_key(_admin_client(t).post(PAGE, {"name": "A secret key", "scope": "read"}))
    [key] = keys_of(t.a)
    client.force_login(t.b_admin)
    page = client.get(PAGE).content.decode()
    assert "A secret key" not in page and key.prefix not in page
    assert client.post(revoke_url(key)).status_code == 404
    key.refresh_from_db(using=MAINT)
    assert key.revoked_at is None and api(raw).get("/api/v1/partner/").status_code == 200


def test_csrf_is_enforced_on_every_post(t):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(t.a_admin)
    assert browser.post(PAGE, {"name": "No token", "scope": "read"}).status_code == 403
    assert keys_of(t.a) == []

    page = browser.get(PAGE)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token, "the form carries a CSRF token"
    form = {"name": "With token", "scope": "read", "csrfmiddlewaretoken": token.group(1)}
    assert browser.post(PAGE, form).status_code == 200
    [key] = keys_of(t.a)

    assert browser.post(revoke_url(key)).status_code == 403
    key.refresh_from_db(using=MAINT)
    assert key.revoked_at is None
    token = browser.cookies["csrftoken"].value
    assert browser.post(revoke_url(key), HTTP_X_CSRFTOKEN=token).status_code == 302
    key.refresh_from_db(using=MAINT)
    assert key.revoked_at is not None


def _admin_client(t) -> Client:
    client = Client()
    client.force_login(t.a_admin)
    return client
