from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from spp.api.serializers import ApiKeySerializer, NewApiKeySerializer, PartnerSerializer
from spp.api_auth import PartnerScopedAPIMixin
from spp.models import ApiKey
from spp.roles import Perm, role_allows
from spp.selectors import active_membership
from spp.services import create_api_key, revoke_api_key


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

    @extend_schema(responses=PartnerSerializer)
    def get(self, request: Request) -> Response:
        return Response(PartnerSerializer(self.partner).data)


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

    @extend_schema(request=ApiKeySerializer, responses={201: NewApiKeySerializer})
    def create(self, request: Request) -> Response:
        serializer = ApiKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key, raw = create_api_key(
            self.partner, created_by=request.user, **serializer.validated_data
        )
        data = NewApiKeySerializer(key).data | {"key": raw}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        key = self.get_object()
        revoke_api_key(key)
        key.refresh_from_db()
        return Response(ApiKeySerializer(key).data)
