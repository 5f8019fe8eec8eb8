"""Every response and request body of the API against an explicit allow-list derived
from SPEC §1 (who sees what), and the OpenAPI schema validates with no warning.

The walk is over the generated schema's components, so every serializer any endpoint
uses is covered: a new one (or a new field) fails here until it is listed with the
§1 rule that allows it.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

# SPEC §4 fields: team-level pool figures, visible to every linked partner. The
# partner's own purchases (`purchased`) and the others' only as an aggregate.
FLEX_FIELDS = {
    "flex_total_tokens",
    "flex_tokens_balance",
    "flex_tokens_consumption",
    "flex_purchased_tokens",
    "flex_additional_tokens",
    "flex_start_date",
    "flex_latest_end_date",
    "flex_balance_rate",
    "flex_consumption_rate_30",
    "flex_consumption_rate_180",
    "flex_projected_end_date",
}
# A linked team (shared data) with the partner's own customer name and assignment.
TEAM_ID = {"team_id", "team_name"}
OWN_ASSIGNMENT = {"account_manager", "account_manager_id"}
# A single order's details: only ever in the seller's own packs and quotes.
ORDER_DETAILS = {"order_number", "unit_price", "discount_pct", "quantity", "start_date"}

ALLOWED: dict[str, set[str]] = {
    "FlexTeam": TEAM_ID | FLEX_FIELDS | OWN_ASSIGNMENT | {"customer", "as_of"},
    # Team-level aggregates of SPEC §4 (no single pack): overage, expiries, forecasts.
    "FlexTeamDetail": TEAM_ID
    | FLEX_FIELDS
    | OWN_ASSIGNMENT
    | {
        "customer",
        "as_of",
        "overage_tokens",
        "expired_unused_tokens",
        "projected_runout_date",
        "forecast_expiring_unused",
        "tokens_expiring_90d",
    },
    "FlexWidget": {"lt20", "20to30", "onboarding", "additional", "all"},
    "ExportJob": {
        "job_id",
        "state",
        "done",
        "total",
        "percent",
        "error",
        "filename",
        "status_url",
        "download_url",
    },
    # Shared team and account data, seen through the partner's link.
    "Team": {"team_id", "name", "country", "account_csn", "account_name"} | OWN_ASSIGNMENT,
    "Account": {"csn", "name", "country", "team_count"} | OWN_ASSIGNMENT,
    "PatchedAccountAssignRequest": {"account_manager_id"},
    # Own packs' events in full; others' only as the `additional` aggregate row.
    "TeamEvent": {"kind", "date", "tokens", "order_number", "detail"},
    # Contacts, leads and quotes: the owning partner's only.
    "Contact": {
        "id",
        "account",
        "team",
        "name",
        "email",
        "phone",
        "title",
        "notes",
        "created_at",
        "updated_at",
    },
    "ContactRequest": {"account", "team", "name", "email", "phone", "title", "notes"},
    "PatchedContactRequest": {"account", "team", "name", "email", "phone", "title", "notes"},
    # The seller's own purchases, with prices (Pack.objects is seller-scoped).
    "Pack": {
        "order_number",
        "team_id",
        "team_name",
        "seller_csn",
        "quantity",
        "start_date",
        "end_date",
        "unit_price",
        "currency",
        "discount_pct",
        "source",
    },
    "Lead": TEAM_ID
    | OWN_ASSIGNMENT
    | {
        "number",
        "status",
        "customer",
        "end_date",
        "end_date_days",
        "balance_rate",
        "rate_30",
        "rate_180",
        "annual_quantity",
        "unit_price",
        "value",
        "currency",
        "opened_on",
        "closed_on",
        "lost_reason",
        "figures_as_of",
    },
    "Quote": {
        "number",
        "status",
        "team",
        "team_name",
        "lead",
        "currency",
        "valid_until",
        "notes",
        "lines",
        "total_tokens",
        "total_gross",
        "total_net",
        "created_on",
        "created_at",
        "sent_at",
        "accepted_at",
        "order_date",
        "declined_at",
        "declined_reason",
        "pack_order_number",
    },
    "QuoteRequest": {"team", "lead", "currency", "valid_until", "notes", "lines"},
    "PatchedQuoteRequest": {"team", "lead", "currency", "valid_until", "notes", "lines"},
    "QuoteLine": {
        "position",
        "description",
        "tokens",
        "unit_price",
        "discount_pct",
        "gross",
        "net",
    },
    "QuoteLineRequest": {"description", "tokens", "unit_price", "discount_pct"},
    "AcceptRequest": {"order_date"},
    "DeclineRequest": {"reason"},
    # Usage reporting (SPEC §9) of a linked team: team-level usage is shared data (every
    # linked partner sees it); users only as pseudonymous per-team labels, never a user
    # key or an e-mail; the pool as the team-level figures of SPEC §4; the week's token
    # changes as one net number (other suppliers' purchases only inside an aggregate).
    "UsageSummary": TEAM_ID
    | {
        "range",
        "tokens_used",
        "avg_tokens_per_month",
        "days_used",
        "products_used",
        "users",
        "pool",
        "tokens_added_removed_7d",
    },
    "UsageRange": {"key", "label", "start", "end", "days", "months"},
    "UsagePool": {
        "as_of",
        "flex_total_tokens",
        "flex_tokens_consumption",
        "flex_tokens_balance",
        "flex_balance_rate",
        "low_balance",
    },
    "UsageProduct": {"product", "users", "tokens", "avg_tokens_per_month", "share"},
    "UsageUser": {
        "user",
        "products",
        "product_count",
        "tokens",
        "avg_tokens_per_month",
        "days_used",
    },
    "UsageDay": {"day", "tokens", "users"},
    # The tenancy core: the caller's own partner and keys (never a key's hash).
    "Partner": {"csn", "name", "currency", "token_price"},
    "ApiKey": {"id", "name", "prefix", "scope", "created_at", "last_used_at", "revoked_at"},
    "NewApiKey": {
        "id",
        "name",
        "prefix",
        "scope",
        "created_at",
        "last_used_at",
        "revoked_at",
        "key",
    },
    "ApiKeyRequest": {"name", "scope"},
    # Operator-only feeds (no partner data is read back).
    "ImportRequestRequest": {"kind", "file", "dry_run"},
    "ImportReport": {
        "ok",
        "headline",
        "kind",
        "file_name",
        "dry_run",
        "rows",
        "counts",
        "notes",
        "file_errors",
        "bad_rows",
        "teams_affected",
        "teams_recomputed",
        "batch_id",
        "report",
    },
    "ImportRefused": {"code", "message", "field_errors", "report"},
    "RowError": {"line", "reasons"},
    "Error": {"code", "message", "field_errors"},
    # SPEC §10–§11: users and machines only as pseudonymous labels; prices are the
    # partner's own and the public catalog's; no other partner's order appears.
    "Advisor": {
        "team_id", "team_name", "range", "currency", "token_price", "users", "segments",
        "users_by_segment", "named_vs_flex", "savings", "forecast", "product_mix",
        "seasonality", "sessions",
    },
    "AdvisorSegment": {"segment", "label", "users", "tokens", "share"},
    "AdvisorUser": {"user", "segment", "days_used", "avg_days_per_month", "tokens"},
    "AdvisorSeat": {
        "user", "product", "tokens", "days_used", "avg_days_per_month",
        "break_even_days_per_month", "flex_cost_per_year", "named_user_cost_per_year",
        "yearly_saving", "currency", "recommendation", "note",
    },
    "AdvisorSaving": {"currency", "yearly_saving"},
    "AdvisorSavings": {"users", "seats", "yearly_saving", "not_compared"},
    "AdvisorForecast": {
        "as_of", "balance", "daily_rate", "rate_basis", "forecast_expiring_unused",
        "waste_value", "latest_end", "projected_runout", "needed_until_latest_end",
        "refill_quantity", "refill_value", "currency",
    },
    "AdvisorProduct": {"product", "users", "tokens", "share"},
    "AdvisorMonth": {"month", "name", "avg_tokens", "months_in_range", "index"},
    "AdvisorSeason": {"months", "peak_month", "peak_ratio", "average"},
    "AdvisorSessions": {
        "charges", "tokens", "short_session_charges", "short_session_tokens",
        "off_hours_charges", "off_hours_tokens", "time_zone",
    },
    "Audit": {
        "team_id", "team_name", "range", "audited_start", "audited_end", "not_audited",
        "currency", "token_price", "reported_charges", "reported_tokens", "expected_charges",
        "expected_tokens", "tokens_at_stake", "value_at_stake", "by_cause", "findings",
        "warnings",
    },
    "AuditCause": {"cause", "label", "charges", "tokens_at_stake", "value_at_stake"},
    "AuditFinding": {
        "day", "user", "product", "version", "tokens_reported", "tokens_at_stake",
        "value_at_stake", "cause", "cause_label", "explanation", "sessions",
    },
    "AuditSession": {"start", "end", "version", "machine"},
    "AuditWarning": {
        "day", "user", "product", "start", "end", "minutes", "machines", "sessions",
    },
}  # fmt: skip
# Bodies that carry the details of single orders: only the seller's own objects.
ORDER_DETAIL_SCHEMAS = {"Pack", "Lead", "Quote", "QuoteLine", "QuoteLineRequest", "TeamEvent"}


@pytest.fixture(scope="module")
def components() -> dict[str, set[str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        name: set(body["properties"])
        for name, body in schema["components"]["schemas"].items()
        if "properties" in body and not name.startswith("Paginated")
    }


def test_every_body_is_listed_with_exactly_its_allowed_fields(components):
    assert set(components) == set(ALLOWED), "list new serializers with their SPEC §1 rule"
    for name, fields in components.items():
        assert fields == ALLOWED[name], name


def test_no_body_of_shared_data_carries_single_order_details(components):
    for name, fields in components.items():
        if name not in ORDER_DETAIL_SCHEMAS:
            assert not fields & ORDER_DETAILS, name
    assert "key_hash" not in set().union(*components.values())


def test_no_usage_body_names_a_person(components):
    """SPEC §1: usage is pseudonymous; a user appears only as the label `user`."""
    personal = {"user_key", "email", "e_mail", "user_id", "user_name", "hashed_user_id"}
    for name, fields in components.items():
        if name.startswith("Usage"):
            assert not fields & personal, name


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))


def test_every_operation_is_described_with_examples_and_errors():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) >= 30
    for path, method, op in operations:
        label = f"{method.upper()} {path}"
        assert op.get("summary"), label
        assert op.get("tags"), label
        assert "401" in op["responses"], label
        if method != "delete":
            content = [
                c
                for status, response in op["responses"].items()
                if status.startswith("2")
                for c in response.get("content", {}).values()
            ]
            has_example = any("examples" in c or "example" in c for c in content)
            binary = any(c.get("schema", {}).get("format") == "binary" for c in content)
            assert has_example or binary, label
