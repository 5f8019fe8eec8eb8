"""Teams, token events, customer accounts (assign the account manager) and contacts.

Thin: reads through teams.selectors, writes through teams.services, inside the
partner scope set by PartnerScopedAPIMixin (and RLS behind it).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from spp.api.schema import errors
from spp.api_auth import PartnerScopedAPIMixin
from spp.dates import business_date
from spp.models import Membership, User
from spp.roles import Perm
from teams import selectors, services
from teams.api.events import team_events
from teams.api.serializers import (
    AccountAssignSerializer,
    AccountSerializer,
    ContactSerializer,
    TeamEventSerializer,
    TeamSerializer,
)
from teams.models import Account, Contact, Team

TEAM_PATH = OpenApiParameter(
    "team", OpenApiTypes.STR, OpenApiParameter.PATH, description="Autodesk team id."
)
CSN_PATH = OpenApiParameter(
    "csn", OpenApiTypes.STR, OpenApiParameter.PATH, description="Customer CSN."
)
Q_PARAM = OpenApiParameter("q", OpenApiTypes.STR, description="Search text.")

TEAM_EXAMPLE = {
    "team_id": "TM-100042",
    "name": "Acme Architects — Design",
    "country": "DE",
    "account_csn": "C-1000",
    "account_name": "Acme Architects",
    "account_manager": "Amos Manager",
    "account_manager_id": 7,
}
ACCOUNT_EXAMPLE = {
    "csn": "C-1000",
    "name": "Acme Architects",
    "country": "DE",
    "team_count": 2,
    "account_manager": "Amos Manager",
    "account_manager_id": 7,
}
CONTACT_EXAMPLE = {
    "id": 12,
    "account": "C-1000",
    "team": "TM-100042",
    "name": "Dana Buyer",
    "email": "dana@acme.example",
    "phone": "+49 30 1234567",
    "title": "Purchasing",
    "notes": "Prefers quotes in EUR.",
    "created_at": "2026-03-01T09:30:00Z",
    "updated_at": "2026-03-01T09:30:00Z",
}


def _page(example: dict) -> dict:
    return {"count": 1, "next": None, "previous": None, "results": [example]}


def _example(name: str, value: dict, status: str = "200") -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status])


@extend_schema_view(
    list=extend_schema(
        summary="List your teams",
        description="Every team linked to you (a pack you sold, or an operator's link), "
        "by name. `q` searches team name, team id, customer name and CSN.",
        parameters=[Q_PARAM],
        responses={200: TeamSerializer(many=True), **errors()},
        examples=[_example("Teams", _page(TEAM_EXAMPLE))],
    ),
    retrieve=extend_schema(
        summary="One of your teams",
        parameters=[TEAM_PATH],
        responses={200: TeamSerializer, **errors()},
        examples=[_example("Team", TEAM_EXAMPLE)],
    ),
)
class TeamViewSet(PartnerScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    model = Team
    serializer_class = TeamSerializer
    lookup_field = "team_id"
    lookup_url_kwarg = "team"
    lookup_value_regex = "[^/]+"
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Team.unscoped.none()
        q = self.request.query_params.get("q", "") if self.action == "list" else ""
        return selectors.search_teams(q)


@extend_schema(
    summary="A team's token events",
    description=(
        "SPEC §9 token events, as you may see them: your own packs' purchases and "
        "expiries, moves and adjustments in full, and merges. Other suppliers' purchases "
        "appear only as the first row, kind `additional`: the aggregate of their tokens in "
        "the active pool, with no date, order, quantity or price of a single order."
    ),
    parameters=[TEAM_PATH],
    responses={200: TeamEventSerializer(many=True), **errors()},
    examples=[
        _example(
            "Events",
            {
                "count": 2,
                "next": None,
                "previous": None,
                "results": [
                    {
                        "kind": "additional",
                        "date": None,
                        "tokens": 1000,
                        "order_number": None,
                        "detail": "Tokens of other suppliers in the active pool as of "
                        "2026-03-10 (an aggregate).",
                    },
                    {
                        "kind": "purchased",
                        "date": "2025-03-11",
                        "tokens": 1000,
                        "order_number": "ORD-2025-0311",
                        "detail": "",
                    },
                ],
            },
        )
    ],
    tags=["teams"],
)
class TeamEventListView(PartnerScopedAPIMixin, generics.ListAPIView):
    model = Team
    serializer_class = TeamEventSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        team = selectors.team_by_id(self.kwargs["team"])
        if team is None:
            raise Http404
        return team_events(team, business_date())


@extend_schema_view(
    list=extend_schema(
        summary="List your customers",
        description="Customer accounts with at least one team linked to you, by name, with "
        "your account manager. `q` searches name and CSN.",
        parameters=[Q_PARAM],
        responses={200: AccountSerializer(many=True), **errors()},
        examples=[_example("Accounts", _page(ACCOUNT_EXAMPLE))],
    ),
    retrieve=extend_schema(
        summary="One customer",
        parameters=[CSN_PATH],
        responses={200: AccountSerializer, **errors()},
        examples=[_example("Account", ACCOUNT_EXAMPLE)],
    ),
    partial_update=extend_schema(
        summary="Assign the account manager",
        description=(
            "Sets your account manager of this customer (its teams inherit it). "
            "`account_manager_id` is a member's user id, or null for nobody. Needs a "
            "read-write key, or the assign-accounts right (admin, sales manager)."
        ),
        parameters=[CSN_PATH],
        request=AccountAssignSerializer,
        responses={200: AccountSerializer, **errors(400, 401, 403, 404, 429)},
        examples=[
            OpenApiExample("Assign", value={"account_manager_id": 7}, request_only=True),
            _example("Assigned", ACCOUNT_EXAMPLE),
        ],
    ),
)
class AccountViewSet(
    PartnerScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    model = Account
    serializer_class = AccountSerializer
    lookup_field = "csn"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "patch", "head", "options"]
    write_perm = Perm.ASSIGN_ACCOUNTS
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Account.unscoped.none()
        q = self.request.query_params.get("q", "") if self.action == "list" else ""
        return selectors.search_accounts(q)

    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        account = self.get_object()
        body = AccountAssignSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        if "account_manager_id" not in body.validated_data:
            return Response(AccountSerializer(account).data)  # PATCH of nothing: unchanged
        manager = None
        manager_id = body.validated_data["account_manager_id"]
        if manager_id is not None:
            if not Membership.objects.filter(user_id=manager_id, user__is_active=True).exists():
                raise ValidationError(
                    {"account_manager_id": ["Not a member of your organisation."]}
                )
            manager = User.objects.get(pk=manager_id)
        services.assign_account_manager(account, manager)
        return Response(AccountSerializer(self.get_object()).data)


class ContactFilterSet(django_filters.FilterSet):
    account = django_filters.CharFilter(field_name="account__csn", label="Customer CSN")
    team = django_filters.CharFilter(field_name="team__team_id", label="Autodesk team id")
    q = django_filters.CharFilter(method="filter_q", label="Search name, e-mail, title")

    class Meta:
        model = Contact
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(email__icontains=value) | Q(title__icontains=value)
        )


CONTACT_WRITE = (
    "Needs a read-write key, or the edit-contacts right (every role but viewer). "
    "`account` must be one of your customers and `team` one of its teams: naming "
    "another partner's customer is refused (400), nothing is created."
)


@extend_schema_view(
    list=extend_schema(
        summary="List your contacts",
        description="Your contacts at your customers, by name.",
        responses={200: ContactSerializer(many=True), **errors()},
        examples=[_example("Contacts", _page(CONTACT_EXAMPLE))],
    ),
    retrieve=extend_schema(
        summary="One contact",
        responses={200: ContactSerializer, **errors()},
        examples=[_example("Contact", CONTACT_EXAMPLE)],
    ),
    create=extend_schema(
        summary="Create a contact",
        description=CONTACT_WRITE,
        responses={201: ContactSerializer, **errors(400, 401, 403, 429)},
        examples=[
            OpenApiExample(
                "New contact",
                value={"account": "C-1000", "team": "TM-100042", "name": "Dana Buyer"},
                request_only=True,
            ),
            _example("Created", CONTACT_EXAMPLE, "201"),
        ],
    ),
    update=extend_schema(
        summary="Replace a contact",
        description=CONTACT_WRITE,
        responses={200: ContactSerializer, **errors(400, 401, 403, 404, 429)},
        examples=[_example("Replaced", CONTACT_EXAMPLE)],
    ),
    partial_update=extend_schema(
        summary="Change a contact",
        description=CONTACT_WRITE,
        responses={200: ContactSerializer, **errors(400, 401, 403, 404, 429)},
        examples=[
            OpenApiExample("New phone", value={"phone": "+49 30 7654321"}, request_only=True),
            _example("Changed", CONTACT_EXAMPLE),
        ],
    ),
    destroy=extend_schema(
        summary="Delete a contact",
        description="Needs a read-write key, or the edit-contacts right.",
        responses={204: None, **errors(401, 403, 404, 429)},
    ),
)
class ContactViewSet(PartnerScopedAPIMixin, viewsets.ModelViewSet):
    model = Contact
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    write_perm = Perm.EDIT_CONTACTS

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Contact.unscoped.none()
        return Contact.objects.select_related("account", "team").order_by("name", "pk")

    def perform_create(self, serializer: ContactSerializer) -> None:
        data = dict(serializer.validated_data)
        account = data.pop("account")
        serializer.instance = services.save_contact(Contact(**data), account)

    def perform_update(self, serializer: ContactSerializer) -> None:
        contact = serializer.instance
        data = dict(serializer.validated_data)
        account = data.pop("account", contact.account)
        for field, value in data.items():
            setattr(contact, field, value)
        serializer.instance = services.save_contact(contact, account)

    def perform_destroy(self, instance: Contact) -> None:
        services.delete_contact(instance)
