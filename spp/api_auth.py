"""API authentication (Api-Key header or session) and the scoped base for viewsets."""

from __future__ import annotations

from contextlib import ExitStack

from django.utils.cache import get_conditional_response, patch_vary_headers, set_response_etag
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from spp.models import ApiKey
from spp.roles import Perm, role_allows
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

    @property
    def is_operator(self) -> bool:
        return self.api_key.is_operator

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
    """A valid partner API key, or a signed-in member of a partner; read-only keys only read.

    Operator keys act for no partner: they are refused here (403) and admitted only by
    IsOperatorKey, on the imports endpoint.
    """

    message = "Sign in as a member of a partner, or send an API key."

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiKey):
            if request.auth.is_operator:
                self.message = "An operator key may call only the imports endpoint."
                return False
            if request.method not in permissions.SAFE_METHODS and not request.auth.can_write:
                self.message = "This API key is read-only."
                return False
            return True
        return bool(request.user and request.user.is_authenticated and active_membership(request))


class IsOperatorKey(permissions.BasePermission):
    """An operator API key (no partner); only a read-write one may write."""

    message = "Only an operator API key may call this endpoint."

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey) or not key.is_operator:
            return False
        if request.method not in permissions.SAFE_METHODS and not key.can_write:
            self.message = "This API key is read-only."
            return False
        return True


class HasRolePerm(permissions.BasePermission):
    """The member's role allows what the view asks of this method (spp.roles).

    A view names the permission in `action_perms` ({"send": Perm.SEND_QUOTES}), in
    `required_perms` ({"POST": Perm.EDIT_CONTACTS, ...}), or in `write_perm` for every
    unsafe method. API keys act for the partner as a whole and
    have no role: their scope (read / read-write) is what limits them.
    """

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        perm = required_perm(view, request.method)
        if perm is None or isinstance(request.auth, ApiKey):
            return True
        membership = active_membership(request)
        return membership is not None and role_allows(membership.role, perm)


def required_perm(view, method: str) -> Perm | None:
    # A viewset's extra actions (send, accept, ...) may need another right than its
    # plain methods: `action_perms` by action name wins.
    action_perms = getattr(view, "action_perms", None) or {}
    action = getattr(view, "action", None)
    if action in action_perms:
        return action_perms[action]
    perms = getattr(view, "required_perms", None) or {}
    if method in perms:
        return perms[method]
    if method not in permissions.SAFE_METHODS:
        return getattr(view, "write_perm", None)
    return None


class PartnerScopedAPIMixin:
    """Put first in every API view's bases: acts for the caller's partner.

    DRF authenticates inside the view, so the partner is set in `initial()`, after
    authentication, inside the request's transaction (ATOMIC_REQUESTS); the
    response is rendered before the scope closes.

    Every successful GET also gets an ETag (and `Vary: Authorization, Cookie`): a
    client that sends it back in If-None-Match gets 304 Not Modified, with no body.
    Views for the operator (`operator_view = True`, IsOperatorKey) act for no partner:
    they work through the maintenance alias, as the operator's commands do.
    """

    partner = None
    membership = None
    model = None  # partner-owned model of a generic view: get_queryset() uses model.objects
    operator_view = False
    required_perms: dict[str, Perm] | None = None
    action_perms: dict[str, Perm] | None = None
    write_perm: Perm | None = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation runs with no request partner: describe, never query.
            return self.model.unscoped.none()
        return self.model.objects.all()

    def get_permissions(self):
        return [*super().get_permissions(), HasRolePerm()]

    def dispatch(self, request, *args, **kwargs):
        with ExitStack() as stack:
            self._partner_stack = stack
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return conditional(request, response)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # PostgreSQL text cannot hold NUL: a parameter with one is refused here (400)
        # rather than by the database (500), whatever view or filter reads it.
        for name, value in [*request.query_params.items(), *kwargs.items()]:
            if isinstance(value, str) and "\x00" in value:
                raise exceptions.ValidationError({name: ["Null characters are not allowed."]})
        if isinstance(request.auth, ApiKey):
            if request.auth.is_operator:
                if not self.operator_view:  # the permission classes refuse it first
                    raise exceptions.PermissionDenied(IsPartnerPrincipal.message)
                return
            self.partner = partner_by_id(request.auth.partner_id)
            user_id = None
        else:
            self.membership = active_membership(request)
            self.partner = self.membership.partner
            user_id = request.user.pk
        self._partner_stack.enter_context(partner_scope(self.partner, user_id=user_id))


def conditional(request, response):
    """ETag on a successful GET/HEAD, and 304 when the client already has this version.

    The tag is a hash of the body, so it changes exactly when what the caller would read
    changes (new figures, an edited contact); the body differs per partner, and Vary
    keeps shared caches from mixing callers.
    """
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if getattr(response, "streaming", False):
        return response
    patch_vary_headers(response, ("Authorization", "Cookie"))
    response.setdefault("Cache-Control", "private, no-cache")
    if not response.has_header("ETag"):
        set_response_etag(response)
    return get_conditional_response(request, etag=response["ETag"], response=response)


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
