"""API authentication (Api-Key header or session) and the scoped base for viewsets."""

from __future__ import annotations

from contextlib import ExitStack

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from spp.models import ApiKey
from spp.selectors import active_membership, api_key_for, partner_by_id
from spp.services import record_api_key_use
from spp.tenancy import partner_scope

KEYWORD = "Api-Key"


class ApiKeyPrincipal:
    """request.user for a call made with an API key: acts for the key's partner only."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    def __init__(self, key: ApiKey) -> None:
        self.api_key = key
        self.pk = None
        self.id = None

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}…"


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request).decode("latin-1")
        if not header.startswith(KEYWORD + " "):
            return None
        raw = header[len(KEYWORD) + 1 :].strip()
        key = api_key_for(raw) if raw else None
        if key is None or not key.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        record_api_key_use(key)
        return ApiKeyPrincipal(key), key

    def authenticate_header(self, request) -> str:
        return KEYWORD


class IsPartnerPrincipal(permissions.BasePermission):
    """A valid API key, or a signed-in member of a partner; read-only keys only read."""

    message = "Sign in as a member of a partner, or send an API key."

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiKey):
            if request.method not in permissions.SAFE_METHODS and not request.auth.can_write:
                self.message = "This API key is read-only."
                return False
            return True
        return bool(request.user and request.user.is_authenticated and active_membership(request))


class PartnerScopedAPIMixin:
    """Put first in every API view's bases: acts for the caller's partner.

    DRF authenticates inside the view, so the partner is set in `initial()`, after
    authentication, inside the request's transaction (ATOMIC_REQUESTS); the
    response is rendered before the scope closes.
    """

    partner = None
    membership = None
    model = None  # partner-owned model of a generic view: get_queryset() uses model.objects

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation runs with no request partner: describe, never query.
            return self.model.unscoped.none()
        return self.model.objects.all()

    def dispatch(self, request, *args, **kwargs):
        with ExitStack() as stack:
            self._partner_stack = stack
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if isinstance(request.auth, ApiKey):
            self.partner = partner_by_id(request.auth.partner_id)
            user_id = None
        else:
            self.membership = active_membership(request)
            self.partner = self.membership.partner
            user_id = request.user.pk
        self._partner_stack.enter_context(partner_scope(self.partner, user_id=user_id))


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: a key created by a partner administrator.",
        }
