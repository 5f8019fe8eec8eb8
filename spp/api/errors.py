"""One error body for the whole API: `{"code", "message", "field_errors"}`.

REST_FRAMEWORK["EXCEPTION_HANDLER"] points here. Every 4xx the API answers (400, 401,
403, 404, 405, 406, 409, 415, 429) has the same shape, so an integrator parses errors
once:

    {"code": "invalid", "message": "Invalid input.",
     "field_errors": {"bucket": ["Select a valid choice. x is not one of the choices."]}}

`code` is stable and machine-readable (DRF's default codes plus `conflict` and
`not_ready`); `message` is a sentence for people; `field_errors` maps a parameter or
body field (nested ones dotted: `lines.0.quantity`) to its messages, `{}` when the
error is not about a field. Headers DRF sets (WWW-Authenticate on 401, Retry-After on
429, Allow on 405) are kept.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

NON_FIELD_KEYS = ("non_field_errors", "__all__")


class Conflict(exceptions.APIException):
    """The request is valid but clashes with the resource's state (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class NotReady(Conflict):
    """What was asked for is still being prepared (an export job): try again later."""

    default_detail = "Not ready yet; poll the status URL and try again."
    default_code = "not_ready"


CODES_BY_STATUS = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    429: "throttled",
}


def error_body(code: str, message: str, field_errors: dict | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "field_errors": field_errors or {}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Field errors as {"field": [messages]}; nested serializers become dotted paths."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in _flatten(value, name).items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                name = f"{prefix}.{index}" if prefix else str(index)
                for field, messages in _flatten(item, name).items():
                    out.setdefault(field, []).extend(messages)
    elif detail is not None:
        out[prefix] = [str(detail)]
    return {field: messages for field, messages in out.items() if messages}


def _validation_body(detail: Any) -> dict[str, Any]:
    fields = _flatten(detail)
    general = []
    for key in ("", *NON_FIELD_KEYS):
        general.extend(fields.pop(key, []))
    if general:
        message = " ".join(general)
    elif len(fields) == 1:
        field, messages = next(iter(fields.items()))
        message = f"{field}: {messages[0]}"
    else:
        message = "Some values are invalid; see field_errors."
    return error_body("invalid", message, fields)


def _convert(exc: Exception) -> Exception:
    """Django's and the ORM's exceptions, as the DRF exceptions that mean the same."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, ProtectedError | RestrictedError):
        return Conflict("Other records still refer to this one.")
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler (status, headers, rollback), then our body. None lets a 500 raise."""
    exc = _convert(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc.detail)
    else:
        detail = getattr(exc, "detail", None)
        code = getattr(exc, "default_code", None) or CODES_BY_STATUS.get(
            response.status_code, "error"
        )
        if isinstance(detail, exceptions.ErrorDetail) and detail.code:
            code = detail.code
        message = str(detail) if isinstance(detail, str) else "The request failed."
        if isinstance(detail, dict | list):
            response.data = _validation_body(detail) | {"code": code}
        else:
            response.data = error_body(code, message)
    set_rollback()
    return response


@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any path under /api/v1/ that names no endpoint: the same body as other 404s."""
    return JsonResponse(error_body("not_found", f"No API endpoint at {request.path}."), status=404)


class ErrorSerializer(serializers.Serializer):
    """The body of every error response (documented for each operation)."""

    code = serializers.CharField(
        help_text="Machine-readable: invalid, parse_error, not_authenticated, "
        "authentication_failed, permission_denied, not_found, method_not_allowed, "
        "not_acceptable, conflict, not_ready, unsupported_media_type, throttled."
    )
    message = serializers.CharField(help_text="What went wrong, for people.")
    field_errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per parameter or body field (nested: dotted path), its messages.",
    )
