"""Leads (Token Balance, SPEC §7) and quotes (§8) for the API.

SPEC §1: leads and quotes are the partner's own; the team fields are shared data of a
linked team. Money is a JSON number (Decimal, not a string).
"""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from quotes import figures
from quotes.models import Lead, Quote, QuoteLine
from teams.api.serializers import ScopedSlugRelatedField
from teams.models import Team

MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": False}
PRICE = {"max_digits": 12, "decimal_places": 4, "coerce_to_string": False}


class LeadSerializer(serializers.ModelSerializer):
    """A row of the Token Balance (SPEC §7), from quotes.selectors.lead_rows()."""

    team_id = serializers.CharField(source="team.team_id")
    team_name = serializers.CharField(source="team.name")
    customer = serializers.CharField()
    account_manager = serializers.CharField(allow_null=True)
    account_manager_id = serializers.IntegerField(allow_null=True)
    end_date = serializers.DateField(
        source="projected_end", allow_null=True, help_text="The projected end (END DATE)."
    )
    end_date_days = serializers.IntegerField(
        source="end_days", allow_null=True, help_text="Days from today to the end; negative: past."
    )
    unit_price = serializers.DecimalField(**PRICE)
    value = serializers.DecimalField(**MONEY, help_text="Annual quantity × your token price.")

    class Meta:
        model = Lead
        fields = [
            "number",
            "status",
            "team_id",
            "team_name",
            "customer",
            "account_manager",
            "account_manager_id",
            "end_date",
            "end_date_days",
            "balance_rate",
            "rate_30",
            "rate_180",
            "annual_quantity",
            "unit_price",
            "value",
            "currency",
            "opened_on",
            "closed_on",
            "lost_reason",
            "figures_as_of",
        ]
        read_only_fields = fields


class QuoteLineSerializer(serializers.ModelSerializer):
    unit_price = serializers.DecimalField(**PRICE, min_value=Decimal("0"))
    discount_pct = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        default=Decimal("0"),
    )
    gross = serializers.SerializerMethodField()
    net = serializers.SerializerMethodField()

    class Meta:
        model = QuoteLine
        fields = ["position", "description", "tokens", "unit_price", "discount_pct", "gross", "net"]
        read_only_fields = ["position", "gross", "net"]
        extra_kwargs = {"tokens": {"min_value": 1, "max_value": 100_000_000}}

    def _amounts(self, line: QuoteLine) -> figures.Line:
        return figures.Line(line.tokens, line.unit_price, line.discount_pct)

    def get_gross(self, line: QuoteLine) -> float:
        return float(self._amounts(line).gross)

    def get_net(self, line: QuoteLine) -> float:
        return float(self._amounts(line).net)


class QuoteSerializer(serializers.ModelSerializer):
    """A quote with its lines. Writes: a DRAFT's team (on create), lead, currency,
    validity, notes and lines; missing values take the usual defaults (the lead's annual
    quantity, your list price, your validity setting)."""

    team = ScopedSlugRelatedField(
        lambda: Team.objects.all(),
        slug_field="team_id",
        queryset=Team.unscoped.none(),
        help_text="Autodesk team id of one of your teams.",
    )
    team_name = serializers.CharField(source="team.name", read_only=True)
    lead = ScopedSlugRelatedField(
        lambda: Lead.objects.all(),
        slug_field="number",
        queryset=Lead.unscoped.none(),
        allow_null=True,
        required=False,
        help_text="Lead number this quote answers (an open or quoted lead of the team).",
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    valid_until = serializers.DateField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    lines = QuoteLineSerializer(many=True, required=False)
    total_gross = serializers.DecimalField(**MONEY, read_only=True)
    total_net = serializers.DecimalField(**MONEY, read_only=True)
    pack_order_number = serializers.SerializerMethodField(
        help_text="The pack an accepted quote created."
    )

    class Meta:
        model = Quote
        fields = [
            "number",
            "status",
            "team",
            "team_name",
            "lead",
            "currency",
            "valid_until",
            "notes",
            "lines",
            "total_tokens",
            "total_gross",
            "total_net",
            "created_on",
            "created_at",
            "sent_at",
            "accepted_at",
            "order_date",
            "declined_at",
            "declined_reason",
            "pack_order_number",
        ]
        read_only_fields = [
            "number",
            "status",
            "total_tokens",
            "created_on",
            "created_at",
            "sent_at",
            "accepted_at",
            "order_date",
            "declined_at",
            "declined_reason",
        ]

    def get_pack_order_number(self, quote: Quote) -> str | None:
        # A method, not `source="pack.order_number"`: a partial update would drop it.
        return quote.pack.order_number if quote.pack_id else None

    def validate_lines(self, lines: list) -> list:
        if not lines:
            raise serializers.ValidationError("A quote needs at least one line.")
        if len(lines) > 50:
            raise serializers.ValidationError("At most 50 lines.")
        return lines


class AcceptSerializer(serializers.Serializer):
    order_date = serializers.DateField(
        required=False, help_text="The customer's order date (default: today); starts the pack."
    )


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why the customer declined.")
