"""Flex figures for the API. Field names are SPEC §4's (flex.tables.COLUMNS keys).

Every field is a team-level pool figure or the partner's own data (SPEC §1): the
figures of a FlexSnapshot row are the current partner's view of a linked team, and
`customer` / `account_manager` are the partner's own. No single foreign order appears.
"""

from __future__ import annotations

from rest_framework import serializers

from flex.models import Pack
from flex.selectors import BUCKETS


class FlexTeamSerializer(serializers.Serializer):
    """One row of the Flex list: SPEC §4 fields plus the identifying columns of §6."""

    team_id = serializers.CharField(source="team.team_id", help_text="Autodesk team id.")
    team_name = serializers.CharField(source="team.name")
    customer = serializers.CharField(
        help_text="The account name when your accepted quote has a pack in the pool, else n/a."
    )
    account_manager = serializers.CharField(
        allow_null=True, help_text="Name of your account manager of the team's customer."
    )
    account_manager_id = serializers.IntegerField(
        allow_null=True, help_text="User id of that manager (the `manager` filter's value)."
    )
    as_of = serializers.DateField(help_text="The business date the figures are for.")
    flex_total_tokens = serializers.IntegerField()
    flex_tokens_balance = serializers.IntegerField()
    flex_tokens_consumption = serializers.IntegerField()
    flex_purchased_tokens = serializers.IntegerField(help_text="Tokens of your active packs.")
    flex_additional_tokens = serializers.IntegerField(
        help_text="Tokens of other suppliers' active packs (an aggregate)."
    )
    flex_start_date = serializers.DateField(allow_null=True)
    flex_latest_end_date = serializers.DateField(allow_null=True)
    flex_balance_rate = serializers.FloatField(
        allow_null=True, help_text="balance ÷ total, a fraction (0.234 = 23.4%)."
    )
    flex_consumption_rate_30 = serializers.FloatField(help_text="Tokens per day, last 30 days.")
    flex_consumption_rate_180 = serializers.FloatField(help_text="Tokens per day, last 180 days.")
    flex_projected_end_date = serializers.DateField(allow_null=True)


class FlexTeamDetailSerializer(FlexTeamSerializer):
    """One team's figures, with the team-level aggregates of SPEC §4."""

    overage_tokens = serializers.IntegerField(help_text="Usage that found no tokens.")
    expired_unused_tokens = serializers.IntegerField(help_text="Expired unused, last 365 days.")
    projected_runout_date = serializers.DateField(
        allow_null=True, help_text="When the pool runs dry at the current rate."
    )
    forecast_expiring_unused = serializers.IntegerField(
        help_text="Tokens forecast to expire before they can be used."
    )
    tokens_expiring_90d = serializers.IntegerField(
        help_text="Tokens of active packs ending within 90 days (an aggregate)."
    )


class FlexWidgetSerializer(serializers.Serializer):
    """SPEC §5: the five bucket counts; the keys are the `bucket` filter's values."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # "20to30" is no Python identifier: the fields are built from the buckets.
        return {
            bucket.key: serializers.IntegerField(help_text=f"{bucket.label}: {bucket.description}")
            for bucket in BUCKETS
        }


class WidgetQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="Default: the latest figures.")
    manager = serializers.RegexField(
        r"^(unassigned|[0-9]{1,18})$",
        required=False,
        help_text='An account manager\'s user id, or "unassigned".',
    )


class ExportJobSerializer(serializers.Serializer):
    """A large export, built by a background job: poll `status_url`, then download."""

    job_id = serializers.CharField()
    state = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    done = serializers.IntegerField(help_text="Rows written so far.")
    total = serializers.IntegerField(help_text="Rows the export holds.")
    percent = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)
    filename = serializers.CharField()
    status_url = serializers.CharField()
    download_url = serializers.CharField(
        help_text="Where the file is once `state` is done (409 not_ready before)."
    )


class PackSerializer(serializers.ModelSerializer):
    """One of the partner's own purchases (SPEC §3): only its seller ever sees it."""

    team_id = serializers.CharField(source="team.team_id")
    team_name = serializers.CharField(source="team.name")
    unit_price = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, coerce_to_string=False
    )
    discount_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, coerce_to_string=False
    )

    class Meta:
        model = Pack
        fields = [
            "order_number",
            "team_id",
            "team_name",
            "seller_csn",
            "quantity",
            "start_date",
            "end_date",
            "unit_price",
            "currency",
            "discount_pct",
            "source",
        ]
        read_only_fields = fields
