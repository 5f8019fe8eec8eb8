"""The operator's upload form in Django admin runs the same import and shows its report."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import committed_db
from tests.factories import make_team, make_user
from tests.usage.factories import counts

UPLOAD = "admin:usage_importbatch_upload"
PURCHASES = "order_number,team_id,seller_csn,quantity,start_date\n"


@pytest.fixture
def queued(monkeypatch):
    calls: list[list[int]] = []
    monkeypatch.setattr(
        "flex.tasks.queue_recompute", lambda team_pks, using="maint": calls.append(sorted(team_pks))
    )
    return calls


@pytest.fixture
def operator_client(client):
    operator = make_user("ops@spp.example", is_staff=True, is_superuser=True)
    client.force_login(operator)
    client.operator = operator
    return client


def upload(client, kind: str, name: str, content: str, dry_run: bool = False):
    data = {"kind": kind, "file": SimpleUploadedFile(name, content.encode())}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(reverse(UPLOAD), data)


@committed_db
def test_the_upload_form_is_linked_from_the_import_list(operator_client):
    listing = operator_client.get(reverse("admin:usage_importbatch_changelist"))
    assert listing.status_code == 200
    assert reverse(UPLOAD) in listing.content.decode()
    form = operator_client.get(reverse(UPLOAD))
    assert form.status_code == 200
    assert b'name="kind"' in form.content and b'name="dry_run"' in form.content


@committed_db
def test_a_file_with_bad_rows_shows_every_bad_row_and_writes_nothing(operator_client, queued):
    make_team("T-1", "Studio One")
    content = (
        PURCHASES
        + "ORD-1,T-1,ADSK,100,2025-01-01\nORD-2,T-9,ADSK,100,2025-01-01\nORD-3,T-1,ADSK,0,x\n"
    )

    response = upload(operator_client, "purchases", "orders.csv", content)

    assert response.status_code == 200
    page = response.content.decode()
    assert "orders.csv: 2 bad rows of 3; nothing was written." in page
    assert "<td>3</td>" in page and "team_id: unknown team &#x27;T-9&#x27;" in page
    assert "<td>4</td>" in page and "quantity: must be positive, not 0" in page
    assert "start_date: bad date &#x27;x&#x27; (expected YYYY-MM-DD)" in page
    assert counts()["flex_pack"] == 0
    assert queued == []


@committed_db
def test_a_dry_run_shows_what_would_change(operator_client, queued):
    make_team("T-1", "Studio One")

    response = upload(
        operator_client,
        "purchases",
        "orders.csv",
        PURCHASES + "ORD-1,T-1,ADSK,100,2025-01-01\n",
        True,
    )

    page = response.content.decode()
    assert "dry run of 1 rows; nothing was written." in page
    assert "Would do" in page and "1 created, 0 updated, 0 unchanged" in page
    assert counts()["flex_pack"] == 0
    assert queued == []


@committed_db
def test_an_import_is_recorded_and_queues_the_recompute(operator_client, queued):
    from usage.models import ImportBatch

    team = make_team("T-1", "Studio One")

    response = upload(
        operator_client, "purchases", "orders.csv", PURCHASES + "ORD-1,T-1,ADSK,100,2025-01-01\n"
    )

    page = response.content.decode()
    assert "orders.csv: imported 1 rows." in page
    assert "Flex recompute queued for 1 teams." in page
    assert queued == [[team.pk]]
    batch = ImportBatch.objects.using("maint").get()
    assert (batch.kind, batch.file_name, batch.created_by_id) == (
        "purchases",
        "orders.csv",
        operator_client.operator.pk,
    )
    listing = operator_client.get(reverse("admin:usage_importbatch_changelist"))
    assert "orders.csv" in listing.content.decode()
    detail = operator_client.get(reverse("admin:usage_importbatch_change", args=[batch.pk]))
    assert detail.status_code == 200 and "1 created" in detail.content.decode()


def report_page(client, job_url: str) -> str:
    """The upload job's page once it shows the report; until then it must say that a
    worker is importing the file and reload itself."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page = client.get(job_url).content.decode()
        if 'id="import-report"' in page:
            return page
        assert 'http-equiv="refresh"' in page and "background worker" in page
        time.sleep(0.3)
    raise AssertionError(f"no report at {job_url} within 60 s")


@committed_db
def test_a_large_upload_is_imported_by_a_worker_and_the_page_follows_it(
    operator_client, queued, monkeypatch, celery_worker
):
    from usage import upload_jobs
    from usage.models import ImportBatch

    monkeypatch.setattr(upload_jobs, "INLINE_BYTES", 10)  # this small file counts as large
    team = make_team("T-1", "Studio One")

    response = upload(
        operator_client, "purchases", "orders.csv", PURCHASES + "ORD-1,T-1,ADSK,100,2025-01-01\n"
    )

    assert response.status_code == 302
    job_url = response["Location"]
    assert job_url.startswith(reverse(UPLOAD)) and job_url != reverse(UPLOAD)
    page = report_page(operator_client, job_url)
    assert "orders.csv: imported 1 rows." in page
    assert 'http-equiv="refresh"' not in page
    assert counts()["flex_pack"] == 1 and queued == [[team.pk]]
    assert ImportBatch.objects.using("maint").get().created_by_id == operator_client.operator.pk
    assert not any(upload_jobs.uploads_root().glob(f"{job_url.rstrip('/').split('/')[-1]}*"))


@committed_db
def test_a_large_upload_with_bad_rows_reports_them_too(
    operator_client, queued, monkeypatch, celery_worker
):
    from usage import upload_jobs

    monkeypatch.setattr(upload_jobs, "INLINE_BYTES", 10)
    response = upload(
        operator_client, "purchases", "orders.csv", PURCHASES + "ORD-1,T-9,ADSK,100,2025-01-01\n"
    )
    page = report_page(operator_client, response["Location"])
    assert "orders.csv: 1 bad row of 1; nothing was written." in page
    assert "team_id: unknown team &#x27;T-9&#x27;" in page
    assert counts()["flex_pack"] == 0 and queued == []


@committed_db
def test_an_unknown_or_malformed_upload_job_is_404(operator_client):
    for job_id in ("x" * 32, "not-a-job", "a" * 33):
        url = reverse(UPLOAD) + job_id + "/"
        assert operator_client.get(url).status_code == 404, job_id


@committed_db
def test_a_wrong_file_type_is_refused_by_the_form(operator_client):
    response = upload(operator_client, "usage", "usage.xls", "whatever")
    assert "Wrong file type .xls" in response.content.decode()


@committed_db
def test_only_operators_with_the_permission_may_upload(client):
    staff = make_user("staff@spp.example", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse(UPLOAD)).status_code == 403

    staff.user_permissions.add(Permission.objects.using("maint").get(codename="upload_feed"))
    assert client.get(reverse(UPLOAD)).status_code == 200

    partner_user = make_user("someone@a.example")
    client.force_login(partner_user)
    response = client.get(reverse(UPLOAD))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@committed_db
@pytest.mark.parametrize(
    "model",
    [
        "usage_importbatch",
        "usage_product",
        "usage_productrate",
        "usage_productalias",
        "teams_account",
        "teams_team",
        "teams_contact",
        "teams_accountassignment",
        "flex_pack",
        "flex_tokenevent",
        "flex_flexsnapshot",
    ],
)
def test_every_operator_list_loads_through_the_maintenance_alias(operator_client, model):
    from datetime import date

    from tests.factories import make_pack, make_partner, make_snapshot

    partner = make_partner("5100000001", "Partner A")
    team = make_team("T-1", "Studio One", linked=[partner])
    make_pack(team, "ORD-1", partner, 100, date(2025, 1, 1))
    make_snapshot(partner, team, date(2025, 6, 1))

    response = operator_client.get(reverse(f"admin:{model}_changelist"))

    assert response.status_code == 200


@committed_db
def test_an_operator_links_another_partner_to_a_team(operator_client, queued):
    from teams.models import TeamLink
    from tests.factories import make_partner

    seller = make_partner("5100000001", "Partner A")
    other = make_partner("5100000002", "Partner B")
    team = make_team("T-1", "Studio One", linked=[seller])
    link = TeamLink.unscoped.using("maint").get()
    url = reverse("admin:teams_team_change", args=[team.pk])
    assert operator_client.get(url).status_code == 200

    response = operator_client.post(
        url,
        {
            "team_id": "T-1",
            "name": "Studio One",
            "account": team.account_id,
            "country": "",
            "links-TOTAL_FORMS": "2",
            "links-INITIAL_FORMS": "1",
            "links-MIN_NUM_FORMS": "0",
            "links-MAX_NUM_FORMS": "1000",
            "links-0-id": link.pk,
            "links-0-team": team.pk,
            "links-0-partner": seller.pk,
            "links-0-source": "operator",
            "links-1-team": team.pk,
            "links-1-partner": other.pk,
            "links-1-source": "operator",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(TeamLink.unscoped.using("maint").values_list("partner__csn", flat=True)) == [
        "5100000001",
        "5100000002",
    ]
    assert queued == [[team.pk]]


@committed_db
def test_operator_forms_of_partner_scoped_models_open_and_save(operator_client):
    """Account, team, contact and assignment forms work through the maintenance alias
    (their default managers are partner-scoped), unique checks included."""
    from datetime import date

    from flex.models import TokenEvent
    from teams.models import AccountAssignment, Contact, Team
    from tests.factories import make_account, make_pack, make_partner, make_snapshot

    partner = make_partner("5100000001", "Partner A")
    account = make_account("C-1", "Acme")
    team = make_team("T-1", "Studio One", account=account, linked=[partner])
    pack = make_pack(team, "ORD-1", partner, 100, date(2025, 1, 1))
    event = TokenEvent.unscoped.using("maint").create(
        kind="adjustment", date=date(2025, 2, 1), pack=pack, quantity=5, reason="bonus"
    )
    snapshot = make_snapshot(partner, team, date(2025, 6, 1))
    for name, pk in [
        ("teams_account", account.pk),
        ("teams_team", team.pk),
        ("flex_pack", pack.pk),
        ("flex_tokenevent", event.pk),
        ("flex_flexsnapshot", snapshot.pk),
    ]:
        assert operator_client.get(reverse(f"admin:{name}_change", args=[pk])).status_code == 200
    for name in ("teams_team", "teams_contact", "teams_accountassignment"):
        assert operator_client.get(reverse(f"admin:{name}_add")).status_code == 200

    duplicate = operator_client.post(
        reverse("admin:teams_team_add"),
        {
            "team_id": "T-1",
            "name": "Copy",
            "account": account.pk,
            "country": "",
            "links-TOTAL_FORMS": "0",
            "links-INITIAL_FORMS": "0",
        },
    )
    assert duplicate.status_code == 200
    assert "Team with this Team id already exists." in duplicate.content.decode()

    added = operator_client.post(
        reverse("admin:teams_contact_add"),
        {"partner": partner.pk, "account": account.pk, "name": "Carla", "email": "c@acme.example"},
    )
    assert added.status_code == 302
    assert Contact.unscoped.using("maint").get().name == "Carla"

    assigned = operator_client.post(
        reverse("admin:teams_accountassignment_add"),
        {"partner": partner.pk, "account": account.pk, "account_manager": ""},
    )
    assert assigned.status_code == 302
    again = operator_client.post(
        reverse("admin:teams_accountassignment_add"),
        {"partner": partner.pk, "account": account.pk, "account_manager": ""},
    )
    assert again.status_code == 200 and "already exists" in again.content.decode()
    assert AccountAssignment.unscoped.using("maint").count() == 1
    assert Team.unscoped.using("maint").count() == 1
