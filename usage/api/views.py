"""Operator endpoints of the usage app: the data feeds (SPEC §12).

An operator key acts for no partner: the import runs as `spp_import` does, through
usage.imports.import_file on the maintenance alias (all or nothing, idempotent), and
queues the Flex recompute of the affected teams to Celery.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from spp.api.errors import error_body
from spp.api.schema import errors
from spp.api_auth import IsOperatorKey, PartnerScopedAPIMixin
from usage.api.serializers import (
    ImportRefusedSerializer,
    ImportReportSerializer,
    ImportRequestSerializer,
    report_data,
)
from usage.imports import import_file


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
        **errors(401, 403, 429),
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
            path = Path(folder) / name
            with path.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            report = import_file(
                form.validated_data["kind"],
                path,
                dry_run=form.validated_data["dry_run"],
                recompute="queue",
                name=name,
            )
        data = report_data(report)
        if not report.ok:
            body = error_body("import_refused", report.headline) | {"report": data}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(data)
