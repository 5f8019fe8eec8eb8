"""Leads (Token Balance) and quotes with their send / accept / decline actions.

Thin: rows from quotes.selectors (leads through the one LeadFilterSet of the Token
Balance page), every change through quotes.services. A quote in the wrong state for an
action is a 409 `conflict`; other refusals of the services are 400.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from quotes import selectors, services
from quotes.api.serializers import (
    AcceptSerializer,
    DeclineSerializer,
    LeadSerializer,
    QuoteSerializer,
)
from quotes.filtersets import LeadFilterSet
from quotes.models import Lead, Quote, QuoteStatus
from spp.api.errors import Conflict
from spp.api.pagination import FilterSetBackend
from spp.api.schema import errors
from spp.api_auth import PartnerScopedAPIMixin
from spp.dates import business_date
from spp.roles import Perm

LEAD_EXAMPLE = {
    "number": 17,
    "status": "open",
    "team_id": "TM-100042",
    "team_name": "Acme Architects — Design",
    "customer": "Acme Architects",
    "account_manager": "Amos Manager",
    "account_manager_id": 7,
    "end_date": "2026-03-19",
    "end_date_days": 9,
    "balance_rate": 0.1733,
    "rate_30": 11.43,
    "rate_180": 6.66,
    "annual_quantity": 4200,
    "unit_price": 3.0,
    "value": 12600.0,
    "currency": "USD",
    "opened_on": "2026-02-20",
    "closed_on": None,
    "lost_reason": "",
    "figures_as_of": "2026-03-10",
}
QUOTE_EXAMPLE = {
    "number": "Q-2026-0007",
    "status": "draft",
    "team": "TM-100042",
    "team_name": "Acme Architects — Design",
    "lead": 17,
    "currency": "USD",
    "valid_until": "2026-04-09",
    "notes": "",
    "lines": [
        {
            "position": 1,
            "description": "Autodesk Flex tokens, 12 months — Acme Architects — Design",
            "tokens": 4200,
            "unit_price": 3.0,
            "discount_pct": 5.0,
            "gross": 12600.0,
            "net": 11970.0,
        }
    ],
    "total_tokens": 4200,
    "total_gross": 12600.0,
    "total_net": 11970.0,
    "created_on": "2026-03-10",
    "created_at": "2026-03-10T08:12:00Z",
    "sent_at": None,
    "accepted_at": None,
    "order_date": None,
    "declined_at": None,
    "declined_reason": "",
    "pack_order_number": None,
}
NUMBER_PATH = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="Quote number (Q-2026-0007)."
)
LEAD_PATH = OpenApiParameter(
    "number", OpenApiTypes.INT, OpenApiParameter.PATH, description="Lead number."
)


def _page(example: dict) -> dict:
    return {"count": 1, "next": None, "previous": None, "results": [example]}


def _example(name: str, value: dict, status_code: str = "200") -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status_code])


def _lead_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            enum=["active", "open", "quoted", "won", "lost", "closed", "all"],
            description="Default: active (open and quoted).",
        ),
        OpenApiParameter(
            "manager",
            OpenApiTypes.STR,
            description='An account manager\'s user id, or "unassigned".',
        ),
        OpenApiParameter("end_from", OpenApiTypes.DATE, description="END DATE from."),
        OpenApiParameter("end_to", OpenApiTypes.DATE, description="END DATE to."),
        OpenApiParameter("q", OpenApiTypes.STR, description="Team, team id, customer, lead #."),
        OpenApiParameter(
            "ordering", OpenApiTypes.STR, description="A column key, `-` for descending."
        ),
    ]


@extend_schema_view(
    list=extend_schema(
        summary="List your refill leads (Token Balance)",
        description="SPEC §7 leads, with the Token Balance page's filters (one FilterSet).",
        parameters=_lead_parameters(),
        responses={200: LeadSerializer(many=True), **errors()},
        examples=[_example("Leads", _page(LEAD_EXAMPLE))],
    ),
    retrieve=extend_schema(
        summary="One lead",
        parameters=[LEAD_PATH],
        responses={200: LeadSerializer, **errors()},
        examples=[_example("Lead", LEAD_EXAMPLE)],
    ),
)
class LeadViewSet(PartnerScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    model = Lead
    filter_backends = [FilterSetBackend]  # parameters documented explicitly
    serializer_class = LeadSerializer
    filterset_class = LeadFilterSet
    lookup_field = "number"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Lead.unscoped.none()
        return selectors.lead_rows()

    def get_object(self) -> Lead:
        # One lead whatever its status (the list's default hides won/lost/closed ones).
        return get_object_or_404(self.get_queryset(), number=int(self.kwargs["number"]))


class QuoteFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=QuoteStatus.choices)
    q = django_filters.CharFilter(method="filter_q", label="Number, team, team id, customer")

    class Meta:
        model = Quote
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset & selectors.quote_rows("", value) if value.strip() else queryset


WRITE_NOTE = (
    " Needs a read-write key, or the edit-quotes right (every role but viewer)."
    " Only drafts can be changed (409 otherwise)."
)
ACTION_NOTE = " Needs a read-write key, or the send-quotes right (every role but viewer)."


@extend_schema_view(
    list=extend_schema(
        summary="List your quotes",
        description="Newest first.",
        responses={200: QuoteSerializer(many=True), **errors()},
        examples=[_example("Quotes", _page(QUOTE_EXAMPLE))],
    ),
    retrieve=extend_schema(
        summary="One quote",
        parameters=[NUMBER_PATH],
        responses={200: QuoteSerializer, **errors()},
        examples=[_example("Quote", QUOTE_EXAMPLE)],
    ),
    create=extend_schema(
        summary="Draft a quote",
        description=(
            "A DRAFT quote for one of your teams, from a lead or from scratch. Only `team` "
            "is required: the lines default to the lead's annual quantity (else the team's) "
            "at your list price, the currency to yours, the validity to your setting." + WRITE_NOTE
        ),
        responses={201: QuoteSerializer, **errors(400, 401, 403, 429)},
        examples=[
            OpenApiExample(
                "From a lead", value={"team": "TM-100042", "lead": 17}, request_only=True
            ),
            OpenApiExample(
                "With lines",
                value={
                    "team": "TM-100042",
                    "currency": "USD",
                    "valid_until": "2026-04-09",
                    "lines": [
                        {
                            "description": "Flex tokens, 12 months",
                            "tokens": 4200,
                            "unit_price": 3.0,
                            "discount_pct": 5,
                        }
                    ],
                },
                request_only=True,
            ),
            _example("Drafted", QUOTE_EXAMPLE, "201"),
        ],
    ),
    update=extend_schema(
        summary="Replace a draft",
        description="Currency, validity, notes and lines of a DRAFT." + WRITE_NOTE,
        parameters=[NUMBER_PATH],
        responses={200: QuoteSerializer, **errors(400, 401, 403, 404, 409, 429)},
        examples=[_example("Replaced", QUOTE_EXAMPLE)],
    ),
    partial_update=extend_schema(
        summary="Change a draft",
        description="Any of currency, validity, notes, lines of a DRAFT." + WRITE_NOTE,
        parameters=[NUMBER_PATH],
        responses={200: QuoteSerializer, **errors(400, 401, 403, 404, 409, 429)},
        examples=[
            OpenApiExample("New validity", value={"valid_until": "2026-04-30"}, request_only=True),
            _example("Changed", QUOTE_EXAMPLE),
        ],
    ),
)
class QuoteViewSet(
    PartnerScopedAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    model = Quote
    serializer_class = QuoteSerializer
    filterset_class = QuoteFilterSet
    lookup_field = "number"
    lookup_value_regex = "[^/]+"
    write_perm = Perm.EDIT_QUOTES
    action_perms = {
        "send": Perm.SEND_QUOTES,
        "accept": Perm.SEND_QUOTES,
        "decline": Perm.SEND_QUOTES,
    }

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Quote.unscoped.none()
        return selectors.quote_rows().select_related("pack").prefetch_related("lines")

    def _reload(self, quote: Quote) -> Quote:
        return self.get_queryset().get(pk=quote.pk)

    def perform_create(self, serializer: QuoteSerializer) -> None:
        data = serializer.validated_data
        team, lead = data["team"], data.get("lead")
        defaults = services.draft_defaults(team, lead)
        lines = data.get("lines")
        quote = services.create_quote(
            team=team,
            lead=lead,
            user=self.request.user,
            currency=data.get("currency") or defaults["currency"],
            valid_until=data.get("valid_until") or defaults["valid_until"],
            notes=data.get("notes", ""),
            lines=_line_data(lines) if lines else defaults["lines"],
        )
        serializer.instance = self._reload(quote)

    def perform_update(self, serializer: QuoteSerializer) -> None:
        quote = serializer.instance
        data = serializer.validated_data
        if not quote.is_editable:
            raise Conflict(
                f"Quote {quote.number} is {quote.get_status_display().lower()}: "
                "only drafts can be changed."
            )
        if "team" in data and data["team"].pk != quote.team_id:
            raise_field("team", "A quote's team cannot change; draft a new quote.")
        if "lead" in data and (data["lead"].pk if data["lead"] else None) != quote.lead_id:
            raise_field("lead", "A quote's lead cannot change; draft a new quote.")
        lines = data.get("lines")
        services.update_quote(
            quote,
            currency=data.get("currency", quote.currency),
            valid_until=data.get("valid_until", quote.valid_until),
            notes=data.get("notes", quote.notes),
            lines=_line_data(lines) if lines else _line_data(quote.lines.all()),
        )
        serializer.instance = self._reload(quote)

    def _transition(self, expected: str) -> Quote:
        quote = self.get_object()
        if quote.status != expected:
            raise Conflict(
                f"Quote {quote.number} is {quote.get_status_display().lower()}, "
                f"not {QuoteStatus(expected).label.lower()}."
            )
        return quote

    @extend_schema(
        summary="Send a draft",
        description="DRAFT → SENT (the customer has it); its lead becomes QUOTED." + ACTION_NOTE,
        parameters=[NUMBER_PATH],
        request=None,
        responses={200: QuoteSerializer, **errors(400, 401, 403, 404, 409, 429)},
        examples=[_example("Sent", QUOTE_EXAMPLE | {"status": "sent"})],
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, number: str) -> Response:
        quote = services.send_quote(self._transition(QuoteStatus.DRAFT), request.user)
        return Response(QuoteSerializer(self._reload(quote)).data)

    @extend_schema(
        summary="Accept a sent quote",
        description=(
            "SENT → ACCEPTED: your pack (the quote's tokens, starting on `order_date`) joins "
            "the team's ledger, the lead is WON and the team's figures are recomputed."
            + ACTION_NOTE
        ),
        parameters=[NUMBER_PATH],
        request=AcceptSerializer,
        responses={200: QuoteSerializer, **errors(400, 401, 403, 404, 409, 429)},
        examples=[
            OpenApiExample("Order date", value={"order_date": "2026-03-10"}, request_only=True),
            _example(
                "Accepted",
                QUOTE_EXAMPLE
                | {
                    "status": "accepted",
                    "order_date": "2026-03-10",
                    "pack_order_number": "SPP-5100000001-Q-2026-0007",
                },
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, number: str) -> Response:
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        quote = self._transition(QuoteStatus.SENT)
        order_date = body.validated_data.get("order_date") or business_date()
        services.accept_quote(quote, request.user, order_date)
        return Response(QuoteSerializer(self._reload(quote)).data)

    @extend_schema(
        summary="Decline a sent quote",
        description="SENT → DECLINED with the customer's reason; the lead is LOST unless "
        "another sent quote of it is still open." + ACTION_NOTE,
        parameters=[NUMBER_PATH],
        request=DeclineSerializer,
        responses={200: QuoteSerializer, **errors(400, 401, 403, 404, 409, 429)},
        examples=[
            OpenApiExample("Reason", value={"reason": "Budget frozen"}, request_only=True),
            _example("Declined", QUOTE_EXAMPLE | {"status": "declined"}),
        ],
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, number: str) -> Response:
        body = DeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        quote = self._transition(QuoteStatus.SENT)
        services.decline_quote(quote, request.user, body.validated_data["reason"])
        return Response(QuoteSerializer(self._reload(quote)).data)


def _line_data(lines) -> list[services.LineData]:
    out = []
    for line in lines:
        get = line.get if isinstance(line, dict) else line.__getattribute__
        out.append(
            services.LineData(
                description=get("description"),
                tokens=get("tokens"),
                unit_price=get("unit_price"),
                discount_pct=get("discount_pct"),
            )
        )
    return out


def raise_field(field: str, message: str) -> None:
    raise ValidationError({field: [message]})
