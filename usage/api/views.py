"""The usage app's endpoints: a linked team's usage reporting (SPEC §9) and the
operator's data feeds (SPEC §12).

Usage reporting (`teams/{team}/usage/…`) reads exactly what the web pages read:
usage.ranges parses the range, usage.selectors runs the (fixed number of) queries and
usage.tables builds and sorts the rows, so the API and the pages give the same numbers
for the same team and range. The team is reached through Team.objects (linked to the
caller's partner; RLS behind it): another partner's team, or an unlinked one, is a 404.

An operator key acts for no partner: the import runs as `spp_import` does, through
usage.imports.import_file on the maintenance alias (all or nothing, idempotent), and
queues the Flex recompute of the affected teams to Celery.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from spp.api.errors import error_body
from spp.api.schema import errors
from spp.api_auth import IsOperatorKey, PartnerScopedAPIMixin
from spp.dates import business_date
from teams import selectors as team_selectors
from teams.models import Team
from usage import figures, ranges, selectors, tables, upload_jobs
from usage.api.serializers import (
    ImportRefusedSerializer,
    ImportReportSerializer,
    ImportRequestSerializer,
    UsageDaySerializer,
    UsageProductSerializer,
    UsageSummarySerializer,
    UsageUserSerializer,
    report_data,
)
from usage.imports import import_file
from usage.ranges import DateRange
from usage.selectors import token_changes
from usage.tables import Table


def safe_name(name: str | None) -> str:
    """The upload's own file name (the report shows it; its suffix picks the reader),
    reduced to a plain name that cannot leave the temporary folder."""
    try:
        return get_valid_filename(Path(name or "").name)
    except SuspiciousFileOperation:
        return "feed" + Path(name or "").suffix.lower()[:6]


REPORT_EXAMPLE = {
    "ok": True,
    "headline": "teams.csv: imported 2 rows.",
    "kind": "teams",
    "file_name": "teams.csv",
    "dry_run": False,
    "rows": 2,
    "counts": {
        "account": {"created": 1, "updated": 0, "unchanged": 0},
        "team": {"created": 2, "updated": 0, "unchanged": 0},
    },
    "notes": [],
    "file_errors": [],
    "bad_rows": [],
    "teams_affected": 0,
    "teams_recomputed": None,
    "batch_id": 41,
    "report": "teams import — teams.csv: imported 2 rows.\n  account: 1 created, 0 updated, "
    "0 unchanged\n  team: 2 created, 0 updated, 0 unchanged",
}
REFUSED_EXAMPLE = {
    "code": "import_refused",
    "message": "purchases.csv: 1 bad row of 3; nothing was written.",
    "field_errors": {},
    "report": REPORT_EXAMPLE
    | {
        "ok": False,
        "headline": "purchases.csv: 1 bad row of 3; nothing was written.",
        "kind": "purchases",
        "file_name": "purchases.csv",
        "rows": 3,
        "counts": {},
        "bad_rows": [{"line": 3, "reasons": ["quantity must be a whole number, not 'ten'"]}],
        "batch_id": None,
        "report": "purchases import — purchases.csv: 1 bad row of 3; nothing was written.\n"
        "Bad rows (line: reason):\n  line 3: quantity must be a whole number, not 'ten'",
    },
}


@extend_schema(
    summary="Import a feed file (operator keys only)",
    description=(
        "The operator's data feeds of SPEC §12, exactly as `manage.py spp_import KIND FILE "
        "[--dry-run]`: all or nothing (a bad row writes nothing and every bad row is "
        "reported with its line), idempotent. Send multipart form data with `kind`, "
        "`file` and optionally `dry_run=true`. The Flex recompute of the affected teams is "
        "queued. Only an operator key (`manage.py create_api_key --operator`) may call "
        "this; partner keys and people get 403."
    ),
    request={"multipart/form-data": ImportRequestSerializer},
    responses={
        200: OpenApiResponse(ImportReportSerializer, description="Imported (or dry run)."),
        400: OpenApiResponse(
            ImportRefusedSerializer, description="Refused: bad rows or a bad file (or form)."
        ),
        **errors(401, 403, 429, forbidden="operator"),
    },
    examples=[
        OpenApiExample("Imported", value=REPORT_EXAMPLE, response_only=True, status_codes=["200"]),
        OpenApiExample("Bad row", value=REFUSED_EXAMPLE, response_only=True, status_codes=["400"]),
    ],
    tags=["imports"],
)
class ImportView(PartnerScopedAPIMixin, APIView):
    operator_view = True
    permission_classes = [IsOperatorKey]
    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "imports"

    def post(self, request: Request) -> Response:
        form = ImportRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        name = safe_name(upload.name)
        with tempfile.TemporaryDirectory(prefix="spp-import-") as folder:
            report = import_file(
                form.validated_data["kind"],
                upload_jobs.save_upload(upload, Path(folder)),
                dry_run=form.validated_data["dry_run"],
                recompute="queue",
                name=name,
            )
        data = report_data(report)
        if not report.ok:
            body = error_body("import_refused", report.headline) | {"report": data}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(data)


# ------------------------------------------------------------------ usage reporting (SPEC §9)


def parse_range(params: Mapping[str, str]) -> DateRange:
    """The range of `range=` or `start=&end=` as the web pages read it (usage.ranges), or a
    400 whose field_errors name the parameter to change. Unlike the pages, which fall back
    to the past 30 days and say why, the API refuses: a program must not get other
    figures than it asked for."""
    key = (params.get("range") or "").strip()
    start = (params.get("start") or "").strip()
    end = (params.get("end") or "").strip()
    if (start or end) and key not in ("", ranges.CUSTOM):
        raise ValidationError(
            {"range": ["Give either range or start and end (with range=custom), not both."]}
        )
    try:
        return ranges.parse(params, business_date())
    except ranges.RangeError as exc:
        raise ValidationError({field: [str(exc)] for field in _culprits(key, start, end)}) from None


def _culprits(key: str, start: str, end: str) -> list[str]:
    """The parameters a RangeError of usage.ranges.parse is about."""
    if not (start or end or key == ranges.CUSTOM):
        return ["range"]
    missing = [name for name, value in (("start", start), ("end", end)) if not value]
    if missing:
        return missing
    for name, value in (("start", start), ("end", end)):
        try:
            date.fromisoformat(value)
        except ValueError:
            return [name]
    if date.fromisoformat(start) < ranges.EARLIEST:
        return ["start"]
    return ["end"]  # after yesterday, before start, or too far from start


TEAM_PATH = OpenApiParameter(
    "team",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Autodesk team id of a team linked to you (404 otherwise).",
)
RANGE_PARAMETERS = [
    OpenApiParameter(
        "range",
        OpenApiTypes.STR,
        enum=[*ranges.PRESETS, ranges.CUSTOM],
        description=(
            "`30d`: the past 30 complete days (D−30 … D−1, one month for averages); `3m`, "
            "`6m`, `9m`, `12m`: the most recent fully completed calendar months. Default "
            "`30d`. Leave it out (or give `custom`) to use `start` and `end`."
        ),
    ),
    OpenApiParameter(
        "start",
        OpenApiTypes.DATE,
        description=(
            f"First day of a custom range (with `end`), on or after {ranges.EARLIEST.isoformat()}."
        ),
    ),
    OpenApiParameter(
        "end",
        OpenApiTypes.DATE,
        description=(
            f"Last day of a custom range (with `start`): at most yesterday, at most "
            f"{ranges.MAX_CUSTOM_DAYS:,} days after `start`."
        ),
    ),
]
RANGE_ERROR_EXAMPLE = OpenApiExample(
    "Bad range",
    value={
        "code": "invalid",
        "message": "end: Usage is reported for complete days: choose an end date on or "
        "before 2026-03-09 (yesterday).",
        "field_errors": {
            "end": [
                "Usage is reported for complete days: choose an end date on or before "
                "2026-03-09 (yesterday)."
            ]
        },
    },
    response_only=True,
    status_codes=["400"],
)


def _ordering_parameter(table: Table) -> OpenApiParameter:
    keys = [column.key for column in table.columns if column.sortable]
    first = table.columns[0].key
    return OpenApiParameter(
        "ordering",
        OpenApiTypes.STR,
        enum=[value for key in keys for value in (key, "-" + key)],
        description=(
            f"Sort by a field, `-` for descending; default `{table.default_sort}`. Ties are "
            f"ordered by `{first}`, so pages are stable."
        ),
    )


OPERATOR_EXAMPLE = OpenApiExample(
    "Operator key",
    value={
        "code": "permission_denied",
        "message": "An operator key may call only the imports endpoint.",
        "field_errors": {},
    },
    response_only=True,
    status_codes=["403"],
)


def _usage_errors() -> dict:
    """A read's errors, with the examples a usage call meets: a bad range, an operator key."""
    responses = errors()
    responses[400].examples = [RANGE_ERROR_EXAMPLE]
    responses[403].examples = [OPERATOR_EXAMPLE]
    return responses


def _page(*rows: dict) -> dict:
    return {"count": len(rows), "next": None, "previous": None, "results": list(rows)}


def _example(name: str, value: dict) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=["200"])


RANGE_EXAMPLE = {
    "key": "3m",
    "label": "Past 3 months",
    "start": "2025-12-01",
    "end": "2026-02-28",
    "days": 90,
    "months": 3.0,
}
SUMMARY_EXAMPLE = {
    "team_id": "TM-100042",
    "team_name": "Acme Architects — Design",
    "range": RANGE_EXAMPLE,
    "tokens_used": 661,
    "avg_tokens_per_month": 220.33333333333334,
    "days_used": 6,
    "products_used": 2,
    "users": 4,
    "pool": {
        "as_of": "2026-03-10",
        "flex_total_tokens": 1000,
        "flex_tokens_consumption": 850,
        "flex_tokens_balance": 150,
        "flex_balance_rate": 0.15,
        "low_balance": True,
    },
    "tokens_added_removed_7d": 780,
}
PRODUCT_EXAMPLES = (
    {
        "product": "AutoCAD",
        "users": 3,
        "tokens": 621,
        "avg_tokens_per_month": 207.0,
        "share": 0.9394856278366112,
    },
    {
        "product": "Revit",
        "users": 2,
        "tokens": 40,
        "avg_tokens_per_month": 13.333333333333334,
        "share": 0.060514372163388806,
    },
)
USER_EXAMPLES = (
    {
        "user": "User 7F3A",
        "products": ["AutoCAD"],
        "product_count": 1,
        "tokens": 600,
        "avg_tokens_per_month": 200.0,
        "days_used": 1,
    },
    {
        "user": "User 0C1D",
        "products": ["AutoCAD", "Revit"],
        "product_count": 2,
        "tokens": 24,
        "avg_tokens_per_month": 8.0,
        "days_used": 2,
    },
)
DAY_EXAMPLES = (
    {"day": "2026-02-27", "tokens": 0, "users": 0},
    {"day": "2026-02-28", "tokens": 600, "users": 1},
)
RANGE_NOTE = (
    " The range is `range=30d|3m|6m|9m|12m` (default `30d`) or `start=&end=` (complete "
    "days up to yesterday); a bad one is a 400 naming the parameter. The numbers are the "
    "web usage pages' for the same team and range."
)


class TeamUsageAPIMixin(PartnerScopedAPIMixin):
    """A linked team's usage: the team through Team.objects (the caller's links), else 404."""

    model = Team

    def usage_team(self) -> Team:
        team = team_selectors.team_by_id(self.kwargs["team"])
        if team is None:
            raise NotFound()
        return team


@extend_schema(
    summary="A team's usage summary",
    description=(
        "SPEC §9 summary of one of your teams for a range: tokens used (and on how many "
        "days, and per month on average), products used, distinct users; with the pool of "
        "the latest Flex figures (tokens used and remaining of the active packs, as on the "
        "web summary) and the net tokens added or removed over the past 7 days."
        + RANGE_NOTE
        + " Tokens per day of a range: `…/usage/daily/`."
    ),
    parameters=[TEAM_PATH, *RANGE_PARAMETERS],
    responses={200: UsageSummarySerializer, **_usage_errors()},
    examples=[_example("Past 3 months", SUMMARY_EXAMPLE)],
    tags=["usage"],
)
class UsageSummaryView(TeamUsageAPIMixin, APIView):
    def get(self, request: Request, team: str) -> Response:
        found = self.usage_team()
        rng = parse_range(request.query_params)
        users = selectors.user_figures(found, rng, {})
        in_range = selectors.daily_rows(found, rng)
        snapshot = selectors.snapshot(found)
        changes = token_changes(found, business_date(), snapshot)
        tokens = sum(used for _, used, _ in in_range)
        pool = None
        if snapshot is not None:
            total, balance = snapshot.flex_total_tokens, snapshot.flex_tokens_balance
            pool = {
                "as_of": snapshot.as_of,
                "flex_total_tokens": total,
                "flex_tokens_consumption": snapshot.flex_tokens_consumption,
                "flex_tokens_balance": balance,
                "flex_balance_rate": snapshot.flex_balance_rate,
                "low_balance": bool(total and balance < 0.2 * total),
            }
        data = {
            "team_id": found.team_id,
            "team_name": found.name,
            "range": {
                "key": rng.key,
                "label": rng.label,
                "start": rng.start,
                "end": rng.end,
                "days": rng.days,
                "months": rng.months,
            },
            "tokens_used": tokens,
            "avg_tokens_per_month": figures.monthly_average(tokens, rng.months),
            "days_used": sum(1 for _, used, _ in in_range if used),
            "products_used": len(tables.product_rows(users, {}, rng)),
            "users": len(users),
            "pool": pool,
            "tokens_added_removed_7d": sum(change.tokens or 0 for change in changes),
        }
        return Response(UsageSummarySerializer(data).data)


class UsageListView(TeamUsageAPIMixin, generics.ListAPIView):
    """A table of the usage pages (usage.tables) for one team and range, sorted by
    `ordering` as the page sorts it (ties by the first column), then paginated."""

    table: Table
    filter_backends: list = []

    def get_queryset(self) -> list:
        if getattr(self, "swagger_fake_view", False):
            return []
        found = self.usage_team()
        rng = parse_range(self.request.query_params)
        ordering = self.ordering()
        rows, _ = tables.sort_rows(self.rows(found, rng), self.table, ordering)
        return self.present(rows)

    def ordering(self) -> str:
        value = (self.request.query_params.get("ordering") or "").strip()
        if not value:
            return self.table.default_sort
        keys = [column.key for column in self.table.columns if column.sortable]
        if value not in {v for key in keys for v in (key, "-" + key)}:
            raise ValidationError(
                {"ordering": [f"Choose one of {', '.join(keys)} (with - for descending)."]}
            )
        return value

    def rows(self, team: Team, rng: DateRange) -> list:
        raise NotImplementedError

    def present(self, rows: list) -> list:
        return rows


@extend_schema(
    summary="A team's usage by product",
    description=(
        "Per product used in the range: distinct users, tokens, average tokens per month "
        "(tokens ÷ months of the range) and share of the team's tokens. Most tokens first."
        + RANGE_NOTE
    ),
    parameters=[TEAM_PATH, *RANGE_PARAMETERS, _ordering_parameter(tables.PRODUCTS)],
    responses={200: UsageProductSerializer(many=True), **_usage_errors()},
    examples=[_example("Products", _page(*PRODUCT_EXAMPLES))],
    tags=["usage"],
)
class UsageProductsView(UsageListView):
    serializer_class = UsageProductSerializer
    table = tables.PRODUCTS

    def rows(self, team: Team, rng: DateRange) -> list:
        users = selectors.user_figures(team, rng, {})
        names = selectors.product_names(p for u in users.values() for p in u.products)
        return tables.product_rows(users, names, rng)


@dataclass(frozen=True)
class UserUsage:
    """A row of `…/usage/users/`: the pseudonymous label and figures, never the key."""

    label: str
    products: list[str]
    product_count: int
    tokens: int
    avg_month: float
    days: int


@extend_schema(
    summary="A team's usage by user",
    description=(
        "Per user with usage in the range, under a pseudonymous label (`User 7F3A`, "
        "stable for the team, different in every team; `Anonymous` for masked rows): the "
        "products used, tokens, average tokens per month and distinct days used. Never a "
        "name, e-mail or user key. Most tokens first." + RANGE_NOTE
    ),
    parameters=[TEAM_PATH, *RANGE_PARAMETERS, _ordering_parameter(tables.USERS)],
    responses={200: UsageUserSerializer(many=True), **_usage_errors()},
    examples=[_example("Users", _page(*USER_EXAMPLES))],
    tags=["usage"],
)
class UsageUsersView(UsageListView):
    serializer_class = UsageUserSerializer
    table = tables.USERS

    def rows(self, team: Team, rng: DateRange) -> list:
        labels = selectors.team_labels(team)
        self.users = selectors.user_figures(team, rng, labels)
        self.names = selectors.product_names(p for u in self.users.values() for p in u.products)
        return tables.user_rows(self.users, self.names, rng)

    def present(self, rows: list) -> list:
        result = []
        for row in rows:
            used = sorted(
                self.users[row.user_key].products.values(),
                key=lambda p: (-p.tokens, self.names.get(p.product_id, "")),
            )
            result.append(
                UserUsage(
                    label=row.label,
                    products=[self.names.get(p.product_id, "?") for p in used],
                    product_count=row.product_count,
                    tokens=row.tokens,
                    avg_month=row.avg_month,
                    days=row.days,
                )
            )
        return result


@extend_schema(
    summary="A team's tokens used per day",
    description=(
        "Every day of the range, oldest first, with the tokens used and the distinct users "
        "that day (0 on days without usage). For the web summary's 365-day chart, ask "
        "`start` = today − 365 days and `end` = yesterday." + RANGE_NOTE
    ),
    parameters=[TEAM_PATH, *RANGE_PARAMETERS, _ordering_parameter(tables.DAILY)],
    responses={200: UsageDaySerializer(many=True), **_usage_errors()},
    examples=[_example("Days", _page(*DAY_EXAMPLES))],
    tags=["usage"],
)
class UsageDailyView(UsageListView):
    serializer_class = UsageDaySerializer
    table = tables.DAILY

    def rows(self, team: Team, rng: DateRange) -> list:
        used = {day: (tokens, users) for day, tokens, users in selectors.daily_rows(team, rng)}
        days = (rng.start + timedelta(days=offset) for offset in range(rng.days))
        return [tables.DailyRow(day, *used.get(day, (0, 0))) for day in days]
