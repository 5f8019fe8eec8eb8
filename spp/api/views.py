from django.http import HttpResponse
from django.template import engines
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularRedocView
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from spp.api.schema import errors, response_example
from spp.api.serializers import ApiKeySerializer, NewApiKeySerializer, PartnerSerializer
from spp.api_auth import PartnerScopedAPIMixin
from spp.models import ApiKey
from spp.roles import Perm, role_allows
from spp.selectors import active_membership
from spp.services import create_api_key, revoke_api_key

KEY_EXAMPLE = {
    "id": 3,
    "name": "ERP sync",
    "prefix": "spp_Xq3v9LmA",
    "scope": "read-write",
    "created_at": "2026-03-01T09:30:00Z",
    "last_used_at": "2026-03-10T06:12:44Z",
    "revoked_at": None,
}
KEYS_NOTE = (
    " Only a partner administrator signed in to the web app may manage keys (403 for "
    "every API key and other roles); the web page Settings → API keys does the same."
)


class CanManagePartner(permissions.BasePermission):
    """People with the admin role of their partner; never an API key."""

    message = "Only an administrator of the partner, signed in, may manage API keys."

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiKey) or not request.user.is_authenticated:
            return False
        membership = active_membership(request)
        return membership is not None and role_allows(membership.role, Perm.MANAGE_PARTNER)


class CurrentPartnerView(PartnerScopedAPIMixin, APIView):
    """The partner the caller acts for."""

    @extend_schema(
        summary="The partner you act for",
        description="The partner of the API key (or of the signed-in person's membership).",
        responses={200: PartnerSerializer, **errors(401, 403, 429, forbidden="read")},
        examples=[
            response_example(
                "Partner",
                {"csn": "5100000001", "name": "Partner A", "currency": "USD", "token_price": 3.0},
            )
        ],
        tags=["partner"],
    )
    def get(self, request: Request) -> Response:
        return Response(PartnerSerializer(self.partner).data)


@extend_schema_view(
    list=extend_schema(
        summary="List the partner's API keys",
        description="Prefix, scope, creation, last use and revocation; never the key." + KEYS_NOTE,
        responses={
            200: ApiKeySerializer(many=True),
            **errors(401, 403, 404, 429, forbidden="admin"),
        },
        examples=[
            response_example(
                "Keys", {"count": 1, "next": None, "previous": None, "results": [KEY_EXAMPLE]}
            )
        ],
        tags=["partner"],
    ),
    retrieve=extend_schema(
        summary="One API key",
        description=KEYS_NOTE.strip(),
        responses={200: ApiKeySerializer, **errors(401, 403, 404, 429, forbidden="admin")},
        examples=[response_example("Key", KEY_EXAMPLE)],
        tags=["partner"],
    ),
)
class ApiKeyViewSet(
    PartnerScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The partner's API keys: create (the key is shown once), list, revoke."""

    serializer_class = ApiKeySerializer
    model = ApiKey

    def get_permissions(self):
        return [*super().get_permissions(), CanManagePartner()]

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.order_by("-created_at", "-pk")

    @extend_schema(
        summary="Create an API key",
        description="The response holds the key itself, this once: store it now." + KEYS_NOTE,
        request=ApiKeySerializer,
        responses={201: NewApiKeySerializer, **errors(400, 401, 403, 429, forbidden="admin")},
        examples=[
            OpenApiExample(
                "New key", value={"name": "ERP sync", "scope": "read-write"}, request_only=True
            ),
            response_example(
                "Created", KEY_EXAMPLE | {"key": "spp_Xq3v9LmA…", "last_used_at": None}, "201"
            ),
        ],
        tags=["partner"],
    )
    def create(self, request: Request) -> Response:
        serializer = ApiKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key, raw = create_api_key(
            self.partner, created_by=request.user, **serializer.validated_data
        )
        data = NewApiKeySerializer(key).data | {"key": raw}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke an API key",
        description="The key stops working at once (401)." + KEYS_NOTE,
        request=None,
        responses={200: ApiKeySerializer, **errors(401, 403, 404, 429, forbidden="admin")},
        examples=[
            response_example("Revoked", KEY_EXAMPLE | {"revoked_at": "2026-03-10T08:00:00Z"})
        ],
        tags=["partner"],
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        key = self.get_object()
        revoke_api_key(key)
        key.refresh_from_db()
        return Response(ApiKeySerializer(key).data)


# Redoc's stock template loads Google Fonts: the docs must work offline (no CDN).
_REDOC_TEMPLATE = """{% extends "drf_spectacular/redoc.html" %}
{% block head %}
<title>{{ title|default:"Redoc" }}</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
{% endblock head %}"""


REDOC_CSP = (
    "default-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
    "worker-src 'self' blob:; connect-src 'self'"
)


class OfflineRedocView(SpectacularRedocView):
    """Redoc from drf-spectacular-sidecar's bundle, with no font or script from elsewhere."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs) -> HttpResponse:
        context = {
            "title": self.title,
            "redoc_standalone": self._redoc_standalone(),
            "schema_url": self._get_schema_url(request),
            "settings": self._dump(spectacular_settings.REDOC_UI_SETTINGS),
        }
        html = engines["django"].from_string(_REDOC_TEMPLATE).render(context, request)
        response = HttpResponse(html)
        # The bundle's footer always shows a logo from Redocly's CDN: the policy keeps the
        # browser from asking for it (the page is whole without it).
        response["Content-Security-Policy"] = REDOC_CSP
        return response
