"""Flex endpoints: the Flex list (teams), one team's figures, the widget, the export, packs.

Thin: the rows come from flex.selectors.snapshot_rows() narrowed by the one FilterSet
of the Flex list (flex.filtersets.FlexSnapshotFilterSet), the counts from
flex.selectors.widget_counts(), the files from flex.export.
"""

from __future__ import annotations

from pathlib import Path

from django.core.cache import cache
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status, viewsets
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flex import export, selectors
from flex.api.filters import PackFilterSet, flex_filter_parameters
from flex.api.serializers import (
    ExportJobSerializer,
    FlexTeamDetailSerializer,
    FlexTeamSerializer,
    FlexWidgetSerializer,
    PackSerializer,
    WidgetQuerySerializer,
)
from flex.filtersets import FlexSnapshotFilterSet
from flex.models import FlexSnapshot, Pack
from flex.views import filter_params
from spp.api.errors import NotReady
from spp.api.pagination import FilterSetBackend
from spp.api.schema import errors
from spp.api_auth import PartnerScopedAPIMixin
from spp.models import ApiKey
from spp.roles import Perm

TEAM_EXAMPLE = {
    "team_id": "TM-100042",
    "team_name": "Acme Architects — Design",
    "customer": "Acme Architects",
    "account_manager": "Amos Manager",
    "account_manager_id": 7,
    "as_of": "2026-03-10",
    "flex_total_tokens": 3000,
    "flex_tokens_balance": 520,
    "flex_tokens_consumption": 2480,
    "flex_purchased_tokens": 2000,
    "flex_additional_tokens": 1000,
    "flex_start_date": "2025-03-11",
    "flex_latest_end_date": "2026-03-19",
    "flex_balance_rate": 0.1733,
    "flex_consumption_rate_30": 9.33,
    "flex_consumption_rate_180": 7.1,
    "flex_projected_end_date": "2026-03-19",
}
TEAM_DETAIL_EXAMPLE = TEAM_EXAMPLE | {
    "overage_tokens": 0,
    "expired_unused_tokens": 120,
    "projected_runout_date": "2026-04-05",
    "forecast_expiring_unused": 0,
    "tokens_expiring_90d": 520,
}
TEAM_PATH = OpenApiParameter(
    "team", OpenApiTypes.STR, OpenApiParameter.PATH, description="Autodesk team id."
)
AS_OF = flex_filter_parameters(only=("as_of",))


class FileContentNegotiation(DefaultContentNegotiation):
    """Files are answered as files whatever Accept says; errors as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema_view(
    list=extend_schema(
        summary="List the Flex teams",
        description=(
            "The Flex list of SPEC §6: every linked team that has ever had a pack, with the "
            "SPEC §4 figures as of one business date. The filters and sort keys are the Flex "
            "page's (one FilterSet serves both). Example: `?bucket=lt20` lists the teams "
            "whose FLEX BALANCE is under 20%."
        ),
        parameters=flex_filter_parameters(),
        responses={200: FlexTeamSerializer(many=True), **errors()},
        examples=[
            OpenApiExample(
                "Teams under 20%",
                value={"count": 1, "next": None, "previous": None, "results": [TEAM_EXAMPLE]},
                response_only=True,
                status_codes=["200"],
            )
        ],
    ),
    retrieve=extend_schema(
        summary="One team's Flex figures",
        description="SPEC §4 figures and the team-level aggregates, as of `as_of`.",
        parameters=[TEAM_PATH, *AS_OF],
        responses={200: FlexTeamDetailSerializer, **errors()},
        examples=[
            OpenApiExample(
                "A team", value=TEAM_DETAIL_EXAMPLE, response_only=True, status_codes=["200"]
            )
        ],
    ),
)
class FlexTeamViewSet(PartnerScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    model = FlexSnapshot
    filter_backends = [FilterSetBackend]  # parameters documented explicitly
    serializer_class = FlexTeamSerializer
    filterset_class = FlexSnapshotFilterSet
    lookup_field = "team__team_id"
    lookup_url_kwarg = "team"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FlexSnapshot.unscoped.none()
        return selectors.snapshot_rows()

    def get_serializer_class(self):
        return FlexTeamDetailSerializer if self.action == "retrieve" else FlexTeamSerializer

    def get_object(self) -> FlexSnapshot:
        # One team as of `as_of` (default: latest); the list's other filters do not apply.
        filterset = FlexSnapshotFilterSet(
            {"as_of": self.request.query_params.get("as_of", "")},
            queryset=self.get_queryset(),
            manager_choices=[],
        )
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        return get_object_or_404(filterset.qs, team__team_id=self.kwargs["team"])


@extend_schema(
    summary="FLEX widget counts",
    description=(
        "SPEC §5: how many of your linked teams with Flex are in each bucket, as of "
        "`as_of` (default: the latest figures), optionally for one account manager. Each "
        "key is a `bucket` value of `GET flex/teams/`."
    ),
    parameters=[
        *AS_OF,
        OpenApiParameter("manager", OpenApiTypes.STR, description='A user id, or "unassigned".'),
    ],
    responses={200: FlexWidgetSerializer, **errors(400, 401, 403, 429, forbidden="read")},
    examples=[
        OpenApiExample(
            "Counts",
            value={"lt20": 4, "20to30": 7, "onboarding": 2, "additional": 5, "all": 61},
            response_only=True,
            status_codes=["200"],
        )
    ],
    tags=["flex"],
)
class FlexWidgetView(PartnerScopedAPIMixin, APIView):
    def get(self, request: Request) -> Response:
        query = WidgetQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        manager = query.validated_data.get("manager")
        if manager not in (None, selectors.UNASSIGNED) and int(manager) not in {
            pk for pk, _ in selectors.manager_choices()
        }:
            raise exceptions.ValidationError({"manager": ["Not a member of your organisation."]})
        as_of = query.validated_data.get("as_of") or selectors.latest_as_of()
        return Response(selectors.widget_counts(as_of, manager))


XLSX = export.FORMATS["xlsx"].split(";")[0]
CSV = export.FORMATS["csv"].split(";")[0]


def _job_payload(request: Request, job_id: str, job: dict) -> dict:
    total = job.get("total") or 0
    done = job.get("done") or 0
    state = job.get("state") or "queued"
    return {
        "job_id": job_id,
        "state": state,
        "done": done,
        "total": total,
        "percent": 100 if state == "done" else (int(done * 100 / total) if total else 0),
        "error": job.get("error") or "",
        "filename": job.get("filename") or "",
        "status_url": request.build_absolute_uri(reverse("api-flex-export-job", args=[job_id])),
        "download_url": request.build_absolute_uri(
            reverse("api-flex-export-download", args=[job_id])
        ),
    }


@extend_schema(
    summary="Export the Flex list (.xlsx or .csv)",
    description=(
        "Exactly the rows of `GET flex/teams/` with the same filters and sort, as a file "
        "(SPEC §6: team_id, team_name, customer, account_manager, then the eleven flex_* "
        f"fields). Up to {export.ASYNC_THRESHOLD:,} rows the file is the response (200). "
        "Larger exports run as a background job: 202 with `status_url` to poll and "
        "`download_url` for the file once `state` is `done` (jobs and files are kept 24 hours)."
    ),
    parameters=[
        OpenApiParameter(
            "format", OpenApiTypes.STR, enum=list(export.FORMATS), description="Default: xlsx."
        ),
        *flex_filter_parameters(),
    ],
    responses={
        (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The .xlsx workbook."),
        (200, CSV): OpenApiResponse(OpenApiTypes.STR, description="The .csv file (UTF-8, BOM)."),
        (202, "application/json"): OpenApiResponse(
            ExportJobSerializer,
            description="Large export: a background job.",
            examples=[
                OpenApiExample(
                    "Job",
                    value={
                        "job_id": "k2V0cGxhY2Vob2xkZXJqb2JpZA",
                        "state": "queued",
                        "done": 0,
                        "total": 12000,
                        "percent": 0,
                        "error": "",
                        "filename": "flex-5100000001-2026-03-10-lt20.xlsx",
                        "status_url": "https://spp.example/api/v1/flex/export/jobs/k2V0…/",
                        "download_url": "https://spp.example/api/v1/flex/export/jobs/k2V0…/download/",
                    },
                    response_only=True,
                    status_codes=["202"],
                )
            ],
        ),
        **errors(400, 401, 403, 429, forbidden="read"),
    },
    tags=["flex"],
)
class FlexExportView(PartnerScopedAPIMixin, APIView):
    """The file is built here, inside the request's transaction and partner scope."""

    required_perms = {"GET": Perm.EXPORT}
    content_negotiation_class = FileContentNegotiation

    def get(self, request: Request) -> HttpResponse:
        fmt = request.query_params.get("format") or "xlsx"
        if fmt not in export.FORMATS:
            raise exceptions.ValidationError({"format": [f"Choose xlsx or csv, not {fmt!r}."]})
        filterset = FlexSnapshotFilterSet(request.query_params, request=request)
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        as_of = filterset.resolved_as_of()
        name = export.filename(self.partner.csn, as_of, fmt, request.query_params.get("bucket"))
        queryset = filterset.qs
        total = queryset.count()
        if total > export.ASYNC_THRESHOLD:
            key = request.auth if isinstance(request.auth, ApiKey) else None
            job_id = export.start_job(
                partner_id=self.partner.pk,
                user_id=None if key else request.user.pk,
                params=filter_params(request.query_params),
                fmt=fmt,
                total=total,
                name=name,
            )
            job = export.job_status(job_id) or {}
            if key is not None:
                # The job belongs to the key that asked (no other key of the partner sees it).
                job["api_key_id"] = key.pk
                cache.set(export.job_key(job_id), job, export.JOB_TTL)
            payload = _job_payload(request, job_id, job)
            return Response(
                payload,
                status=status.HTTP_202_ACCEPTED,
                headers={"Location": payload["status_url"]},
            )
        content = export.render(export.rows_from(queryset), fmt)
        response = HttpResponse(content, content_type=export.FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ExportJobMixin(PartnerScopedAPIMixin):
    """A job is reachable only by the key (or person) that started it, for its partner."""

    required_perms = {"GET": Perm.EXPORT}

    def job(self, job_id: str) -> dict:
        job = export.job_status(job_id)
        if not job or job.get("partner_id") != self.partner.pk:
            raise exceptions.NotFound("No such export.")
        if isinstance(self.request.auth, ApiKey):
            mine = job.get("api_key_id") == self.request.auth.pk
        else:
            mine = job.get("user_id") == self.request.user.pk and not job.get("api_key_id")
        if not mine:
            raise exceptions.NotFound("No such export.")
        return job


JOB_PATH = OpenApiParameter(
    "job",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Job id (from the 202 answer).",
    pattern="^[A-Za-z0-9_-]{16,64}$",
)


@extend_schema(
    summary="Status of a large export",
    parameters=[JOB_PATH],
    responses={200: ExportJobSerializer, **errors(401, 403, 404, 429, forbidden="read")},
    examples=[
        OpenApiExample(
            "Running",
            value={
                "job_id": "k2V0cGxhY2Vob2xkZXJqb2JpZA",
                "state": "running",
                "done": 6000,
                "total": 12000,
                "percent": 50,
                "error": "",
                "filename": "flex-5100000001-2026-03-10.xlsx",
                "status_url": "https://spp.example/api/v1/flex/export/jobs/k2V0…/",
                "download_url": "https://spp.example/api/v1/flex/export/jobs/k2V0…/download/",
            },
            response_only=True,
            status_codes=["200"],
        )
    ],
    tags=["flex"],
)
class ExportJobView(ExportJobMixin, APIView):
    def get(self, request: Request, job: str) -> Response:
        return Response(_job_payload(request, job, self.job(job)))


@extend_schema(
    summary="Download a large export",
    description="The file once the job is done; 409 `not_ready` while it runs.",
    parameters=[JOB_PATH],
    responses={
        (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The .xlsx workbook."),
        (200, CSV): OpenApiResponse(OpenApiTypes.STR, description="The .csv file."),
        **errors(401, 403, 404, 409, 429, forbidden="read"),
    },
    tags=["flex"],
)
class ExportJobDownloadView(ExportJobMixin, APIView):
    content_negotiation_class = FileContentNegotiation

    def get(self, request: Request, job: str) -> FileResponse:
        status_ = self.job(job)
        if status_.get("state") == "failed":
            raise exceptions.NotFound(f"The export failed: {status_.get('error') or 'error'}.")
        if status_.get("state") != "done":
            raise NotReady("The export is still running; poll its status URL.")
        path = Path(status_.get("path") or "")
        root = export.exports_root().resolve()
        if not path.is_file() or root not in path.resolve().parents:
            raise exceptions.NotFound("The export has expired.")
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=status_.get("filename") or path.name,
            content_type=export.FORMATS.get(status_.get("format"), "application/octet-stream"),
        )


PACK_EXAMPLE = {
    "order_number": "ORD-2025-0311",
    "team_id": "TM-100042",
    "team_name": "Acme Architects — Design",
    "seller_csn": "5100000001",
    "quantity": 1000,
    "start_date": "2025-03-11",
    "end_date": "2026-03-10",
    "unit_price": 3.0,
    "currency": "USD",
    "discount_pct": 5.0,
    "source": "feed",
}


@extend_schema_view(
    list=extend_schema(
        summary="List your packs",
        description=(
            "Your own token purchases, with prices (SPEC §3). Other suppliers' packs never "
            "appear: they count only in a team's `flex_additional_tokens`. Newest first."
        ),
        responses={200: PackSerializer(many=True), **errors()},
        examples=[
            OpenApiExample(
                "Packs",
                value={"count": 1, "next": None, "previous": None, "results": [PACK_EXAMPLE]},
                response_only=True,
                status_codes=["200"],
            )
        ],
    ),
    retrieve=extend_schema(
        summary="One of your packs",
        parameters=[
            OpenApiParameter(
                "order_number", OpenApiTypes.STR, OpenApiParameter.PATH, description="Order number."
            )
        ],
        responses={200: PackSerializer, **errors()},
        examples=[
            OpenApiExample("Pack", value=PACK_EXAMPLE, response_only=True, status_codes=["200"])
        ],
    ),
)
class PackViewSet(PartnerScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    model = Pack
    serializer_class = PackSerializer
    filterset_class = PackFilterSet
    lookup_field = "order_number"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Pack.unscoped.none()
        # Pack.objects: sold by the current partner (RLS: seller_partner_id).
        return Pack.objects.select_related("team").order_by("-start_date", "order_number")
