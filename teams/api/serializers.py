"""Teams, customer accounts and contacts for the API.

SPEC §1: teams and accounts are shared data, visible through the partner's links;
account-manager assignments and contacts are the partner's own. Querysets of the
writable relations are the current partner's (scoped managers, evaluated per request),
so a body naming another partner's account or team is refused as "does not exist".
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from rest_framework import serializers

from teams.models import Account, Contact, Team


class ScopedSlugRelatedField(serializers.SlugRelatedField):
    """A slug relation whose choices are read per request, in the partner's scope.

    The class-level queryset (an unscoped `.none()`) only tells the schema the model.
    """

    def __init__(self, scoped: Callable[[], QuerySet], **kwargs) -> None:
        self.scoped = scoped
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        return self.scoped()

    def to_internal_value(self, data):
        # PostgreSQL refuses NUL in text: such a value can name no object.
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


def _visible_accounts() -> QuerySet:
    # The scoped manager joins through team links: one row per linked team.
    return Account.objects.distinct()


def _visible_teams() -> QuerySet:
    return Team.objects.all()


class TeamSerializer(serializers.Serializer):
    team_id = serializers.CharField(help_text="Autodesk team id.")
    name = serializers.CharField()
    country = serializers.CharField(allow_blank=True)
    account_csn = serializers.CharField(source="account.csn", help_text="Customer CSN.")
    account_name = serializers.CharField(source="account.name")
    account_manager = serializers.CharField(
        source="account_manager_name", allow_null=True, help_text="Your account manager's name."
    )
    account_manager_id = serializers.IntegerField(allow_null=True)


class TeamEventSerializer(serializers.Serializer):
    """A token event of SPEC §9 as this partner may see it.

    Own packs: purchases, expiries, moves and adjustments in full. Merges of linked teams.
    Other suppliers: one `additional` row with the aggregate of their tokens in the
    active pool, and no date, order, quantity or price of any single foreign order.
    """

    kind = serializers.ChoiceField(
        choices=[
            "additional",
            "purchased",
            "expired",
            "moved_in",
            "moved_out",
            "merged_in",
            "merged_out",
            "adjusted",
        ]
    )
    date = serializers.DateField(allow_null=True, help_text="Null for the `additional` row.")
    tokens = serializers.IntegerField(
        allow_null=True, help_text="Signed: + into the team's pool, − out; null when unknown."
    )
    order_number = serializers.CharField(allow_null=True, help_text="Your own packs only.")
    detail = serializers.CharField(allow_blank=True)


class AccountSerializer(serializers.Serializer):
    csn = serializers.CharField(help_text="Customer CSN.")
    name = serializers.CharField()
    country = serializers.CharField(allow_blank=True)
    team_count = serializers.IntegerField(help_text="Teams of this customer linked to you.")
    account_manager = serializers.CharField(
        source="account_manager_name", allow_null=True, help_text="Your account manager's name."
    )
    account_manager_id = serializers.IntegerField(allow_null=True)


class AccountAssignSerializer(serializers.Serializer):
    account_manager_id = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        help_text="User id of a member of your organisation, or null for nobody.",
    )


class ContactSerializer(serializers.ModelSerializer):
    account = ScopedSlugRelatedField(
        _visible_accounts,
        slug_field="csn",
        queryset=Account.unscoped.none(),
        help_text="Customer CSN (one of your customers).",
    )
    team = ScopedSlugRelatedField(
        _visible_teams,
        slug_field="team_id",
        queryset=Team.unscoped.none(),
        allow_null=True,
        required=False,
        help_text="Autodesk team id of one of the customer's teams, or null.",
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "account",
            "team",
            "name",
            "email",
            "phone",
            "title",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate(self, attrs: dict) -> dict:
        account = attrs.get("account") or getattr(self.instance, "account", None)
        team = attrs["team"] if "team" in attrs else getattr(self.instance, "team", None)
        if team is not None and account is not None and team.account_id != account.pk:
            raise serializers.ValidationError({"team": ["The team must belong to this customer."]})
        return attrs
