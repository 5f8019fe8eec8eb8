"""Shared OpenAPI pieces: the error responses every operation documents, with examples.

A 403 means something else per endpoint, so its description and example follow who is
refused there (`errors(..., forbidden=...)`):

- "read": a partner endpoint that reads: only an operator key is refused;
- "write": a partner endpoint that writes: a read-only key, a role without the right, a
  signed-in write without the CSRF token, an operator key;
- "operator": the imports, for operator keys only: partner keys and people, or a
  read-only operator key writing;
- "admin": API-key management: any API key, or a person who is not a partner admin.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from spp.api.errors import ErrorSerializer


def response_example(name: str, value: Any, status_code: str = "200") -> OpenApiExample:
    """An example body of the response of one status."""
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status_code])


def _error_example(status: int, name: str, code: str, message: str, **fields) -> OpenApiExample:
    body = {"code": code, "message": message, "field_errors": fields}
    return response_example(name, body, str(status))


_ERROR_EXAMPLES = {
    400: _error_example(
        400,
        "Invalid parameter",
        "invalid",
        "bucket: Select a valid choice. lt10 is not one of the available choices.",
        bucket=["Select a valid choice. lt10 is not one of the available choices."],
    ),
    401: _error_example(401, "Revoked key", "authentication_failed", "Invalid or revoked API key."),
    404: _error_example(404, "Not found", "not_found", "Not found."),
    409: _error_example(
        409, "Not ready", "not_ready", "The export is still running; poll its status URL."
    ),
    429: _error_example(
        429,
        "Throttled",
        "throttled",
        "Request was throttled. Expected available in 12 seconds.",
    ),
}

_DESCRIPTIONS = {
    400: "Invalid parameters or body: `field_errors` says which.",
    401: "No credentials, or an unknown or revoked API key.",
    404: "Not found, or not visible to this partner.",
    409: "Conflicts with the resource's current state.",
    429: "Too many requests for this key: wait `Retry-After` seconds.",
}

# forbidden case -> (description, example) of the 403; the messages are the API's own.
_FORBIDDEN = {
    "read": (
        "Not allowed: an operator key (it may call only the imports endpoint).",
        _error_example(
            403,
            "Operator key",
            "permission_denied",
            "An operator key may call only the imports endpoint.",
        ),
    ),
    "write": (
        "Not allowed: a read-only key, a role without the right (or a signed-in write "
        "without the CSRF token), or an operator key.",
        _error_example(403, "Read-only key", "permission_denied", "This API key is read-only."),
    ),
    "operator": (
        "Not allowed: not an operator key (partner keys and people), or a read-only operator key.",
        _error_example(
            403,
            "Not an operator key",
            "permission_denied",
            "Only an operator API key may call this endpoint.",
        ),
    ),
    "admin": (
        "Not allowed: any API key, or a person who is not an administrator of the partner.",
        _error_example(
            403,
            "Not an administrator",
            "permission_denied",
            "Only an administrator of the partner, signed in, may manage API keys.",
        ),
    ),
}

READ_ERRORS = (400, 401, 403, 404, 429)


def errors(*statuses: int, forbidden: str | None = None) -> dict[int, OpenApiResponse]:
    """The documented error responses for these statuses (default: a read's, READ_ERRORS).

    `forbidden` names who a 403 refuses here (see the module docstring); by default a
    read's errors are a read's ("read"), and errors named one by one a write's ("write")."""
    if forbidden is None:
        forbidden = "write" if statuses else "read"
    responses = {}
    for status in statuses or READ_ERRORS:
        if status == 403:
            description, example = _FORBIDDEN[forbidden]
        else:
            description, example = _DESCRIPTIONS[status], _ERROR_EXAMPLES[status]
        responses[status] = OpenApiResponse(
            ErrorSerializer, description=description, examples=[example]
        )
    return responses
