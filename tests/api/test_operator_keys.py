"""`manage.py create_api_key --operator`: prints a working operator key (the imports
endpoint answers, a dry run writes nothing), which no partner endpoint accepts; it
refuses `--operator` with `--partner`; a `--scope read` operator key cannot import."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from spp.models import ApiKey, hash_api_key
from teams.models import Team
from tests.api.test_access import READS, writes
from tests.conftest import committed_db
from tests.factories import MAINT

pytestmark = committed_db

TEAMS_CSV = (
    "team_id,team_name,account_csn,account_name,country\n"
    "T-OP1,Operator One,C-OP,Operator Customer,DE\n"
    "T-OP2,Operator Two,C-OP,Operator Customer,DE\n"
)


def operator_key(capsys, *args: str) -> str:
    call_command("create_api_key", "--operator", *args)
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("spp_") and "\n" not in raw
    return raw


def api(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def post_teams(client: APIClient, tmp_path, **extra):
    feed = tmp_path / "teams.csv"
    feed.write_text(TEAMS_CSV)
    with feed.open("rb") as handle:
        return client.post(
            "/api/v1/imports/", {"kind": "teams", "file": handle, **extra}, format="multipart"
        )


def test_the_printed_operator_key_imports_and_is_stored_hashed(world, capsys, tmp_path):
    raw = operator_key(capsys, "--name", "Feeds")
    key = ApiKey.unscoped.using(MAINT).get(key_hash=hash_api_key(raw))
    assert key.is_operator and key.partner_id is None
    assert (key.name, key.scope) == ("Feeds", "read-write")  # imports write: the default
    assert raw not in (key.key_hash, key.prefix)

    dry = post_teams(api(raw), tmp_path, dry_run="true")
    assert dry.status_code == 200, dry.content
    report = dry.json()
    assert report["ok"] and report["dry_run"] and report["counts"]["team"]["created"] == 2
    assert not Team.unscoped.using(MAINT).filter(team_id__in=["T-OP1", "T-OP2"]).exists()

    done = post_teams(api(raw), tmp_path)
    assert done.status_code == 200 and not done.json()["dry_run"]
    assert Team.unscoped.using(MAINT).filter(team_id__in=["T-OP1", "T-OP2"]).count() == 2
    key.refresh_from_db(using=MAINT)
    assert key.last_used_at is not None


def test_the_operator_key_gets_403_on_every_partner_endpoint(world, capsys):
    operator = api(operator_key(capsys))
    quote = world.api("a_write").post("/api/v1/quotes/", {"team": "T-001"}).json()["number"]
    for url in (*READS, "/api/v1/api-keys/"):
        response = operator.get(url)
        assert response.status_code == 403, url
        body = response.json()
        assert body["code"] == "permission_denied" and "operator" in body["message"], url
    for method, url, data in writes(world, quote):
        assert getattr(operator, method)(url, data).status_code == 403, url


def test_operator_and_partner_together_are_refused(world, capsys):
    before = ApiKey.unscoped.using(MAINT).count()
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("create_api_key", "--operator", "--partner", world.t.a.csn)
    with pytest.raises(CommandError, match="one of the arguments --partner --operator"):
        call_command("create_api_key", "--scope", "read")
    assert capsys.readouterr().out == ""
    assert ApiKey.unscoped.using(MAINT).count() == before


def test_a_read_only_operator_key_cannot_import(world, capsys, tmp_path):
    raw = operator_key(capsys, "--scope", "read")
    assert ApiKey.unscoped.using(MAINT).get(key_hash=hash_api_key(raw)).scope == "read"
    response = post_teams(api(raw), tmp_path, dry_run="true")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "read-only" in response.json()["message"]
    assert post_teams(api(raw), tmp_path).status_code == 403
    assert not Team.unscoped.using(MAINT).filter(team_id="T-OP1").exists()
    # Still an operator key: refused by the partner endpoints too.
    assert api(raw).get("/api/v1/partner/").status_code == 403


def test_a_revoked_operator_key_gets_401(world, capsys, tmp_path):
    raw = operator_key(capsys)
    ApiKey.unscoped.using(MAINT).filter(key_hash=hash_api_key(raw)).update(
        revoked_at="2026-03-01T00:00:00Z"
    )
    response = post_teams(api(raw), tmp_path, dry_run="true")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
