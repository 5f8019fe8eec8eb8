"""Shared OpenAPI pieces: the error responses every operation documents, with examples."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from spp.api.errors import ErrorSerializer

_ERROR_EXAMPLES = {
    400: OpenApiExample(
        "Invalid parameter",
        value={
            "code": "invalid",
            "message": "bucket: Select a valid choice. lt10 is not one of the available choices.",
            "field_errors": {
                "bucket": ["Select a valid choice. lt10 is not one of the available choices."]
            },
        },
        response_only=True,
        status_codes=["400"],
    ),
    401: OpenApiExample(
        "Revoked key",
        value={
            "code": "authentication_failed",
            "message": "Invalid or revoked API key.",
            "field_errors": {},
        },
        response_only=True,
        status_codes=["401"],
    ),
    403: OpenApiExample(
        "Read-only key",
        value={
            "code": "permission_denied",
            "message": "This API key is read-only.",
            "field_errors": {},
        },
        response_only=True,
        status_codes=["403"],
    ),
    404: OpenApiExample(
        "Not found",
        value={"code": "not_found", "message": "Not found.", "field_errors": {}},
        response_only=True,
        status_codes=["404"],
    ),
    409: OpenApiExample(
        "Not ready",
        value={
            "code": "not_ready",
            "message": "The export is still running; poll its status URL.",
            "field_errors": {},
        },
        response_only=True,
        status_codes=["409"],
    ),
    429: OpenApiExample(
        "Throttled",
        value={
            "code": "throttled",
            "message": "Request was throttled. Expected available in 12 seconds.",
            "field_errors": {},
        },
        response_only=True,
        status_codes=["429"],
    ),
}

_DESCRIPTIONS = {
    400: "Invalid parameters or body: `field_errors` says which.",
    401: "No credentials, or an unknown or revoked API key.",
    403: "Not allowed: a read-only key writing, a role without the right, an operator key.",
    404: "Not found, or not visible to this partner.",
    409: "Conflicts with the resource's current state.",
    429: "Too many requests for this key: wait `Retry-After` seconds.",
}

READ_ERRORS = (400, 401, 403, 404, 429)
WRITE_ERRORS = (400, 401, 403, 404, 429)


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error responses for these statuses (default: a read's)."""
    return {
        status: OpenApiResponse(
            ErrorSerializer, description=_DESCRIPTIONS[status], examples=[_ERROR_EXAMPLES[status]]
        )
        for status in (statuses or READ_ERRORS)
    }
