"""`GET teams/{team}/advisor/`: the Flex advisor of one team (SPEC §10), as on the web tab.

Thin: the figures are flex.advisor_selectors.team_advice() — the same call as the page,
so the API and the page show the same numbers for the same team and range. Users appear
only as their pseudonymous per-team labels (SPEC §1); prices are the caller's own token
price and the public catalog's named-user prices.
"""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers

from flex import advisor as adv
from flex import advisor_selectors
from spp.api.reports import TeamReportView, team_report_schema
from spp.dates import business_date
from teams.models import Team
from usage import ranges
from usage import selectors as usage_selectors
from usage.api.serializers import UsageRangeSerializer
from usage.api.views import parse_range
from usage.ranges import DateRange

MONEY = {"max_digits": 14, "decimal_places": 2}
DEFAULT_RANGE = "12m"


class AdvisorSegmentSerializer(serializers.Serializer):
    segment = serializers.ChoiceField(choices=[key for key, _, _ in adv.SEGMENTS])
    label = serializers.CharField()
    users = serializers.IntegerField()
    tokens = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True, help_text="Of the team's users, a fraction.")


class AdvisorUserSerializer(serializers.Serializer):
    user = serializers.CharField(help_text="Pseudonymous label of the user in this team.")
    segment = serializers.ChoiceField(choices=[key for key, _, _ in adv.SEGMENTS])
    days_used = serializers.IntegerField(help_text="Distinct days with any product.")
    avg_days_per_month = serializers.FloatField(help_text="days_used ÷ range.months.")
    tokens = serializers.IntegerField()


class AdvisorSeatSerializer(serializers.Serializer):
    """Named user vs Flex for one user and product, over a year."""

    user = serializers.CharField(help_text="Pseudonymous label of the user in this team.")
    product = serializers.CharField()
    tokens = serializers.IntegerField(help_text="Tokens of this product in the range.")
    days_used = serializers.IntegerField()
    avg_days_per_month = serializers.FloatField()
    break_even_days_per_month = serializers.FloatField(
        allow_null=True,
        help_text="(named-user price ÷ 12) ÷ (daily rate × token price); null when not compared.",
    )
    flex_cost_per_year = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="tokens × token price × 12 ÷ range.months."
    )
    named_user_cost_per_year = serializers.DecimalField(**MONEY, allow_null=True)
    yearly_saving = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="Flex − named seat, when the seat is cheaper."
    )
    currency = serializers.CharField(help_text="Of the catalog's named-user price.")
    recommendation = serializers.ChoiceField(choices=["Named seat", "Flex", "—"])
    note = serializers.CharField(help_text="Why a pair is not compared (blank otherwise).")


class AdvisorSavingSerializer(serializers.Serializer):
    currency = serializers.CharField()
    yearly_saving = serializers.DecimalField(**MONEY)


class AdvisorSavingsSerializer(serializers.Serializer):
    users = serializers.IntegerField(help_text="Users with a product cheaper on a named seat.")
    seats = serializers.IntegerField(help_text="User-product pairs cheaper on a named seat.")
    yearly_saving = AdvisorSavingSerializer(many=True, help_text="Per currency.")
    not_compared = serializers.IntegerField(
        help_text="Pairs without a named-user price, or with one in a currency you have no "
        "token price in (no exchange rate is applied)."
    )


class AdvisorForecastSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text="The business date of the Flex figures used.")
    balance = serializers.IntegerField()
    daily_rate = serializers.FloatField(help_text="Tokens a day the forecast burns.")
    rate_basis = serializers.ChoiceField(choices=["30 days", "180 days"])
    forecast_expiring_unused = serializers.IntegerField(
        help_text="Tokens that will expire before they can be used (forward replay)."
    )
    waste_value = serializers.DecimalField(**MONEY, allow_null=True)
    latest_end = serializers.DateField(allow_null=True, help_text="Your packs' latest end.")
    projected_runout = serializers.DateField(allow_null=True)
    needed_until_latest_end = serializers.IntegerField(allow_null=True)
    refill_quantity = serializers.IntegerField(
        allow_null=True,
        help_text="needed − (balance − forecast waste), never negative; null without a "
        "pack of yours in the pool. Start it by projected_runout.",
    )
    refill_value = serializers.DecimalField(**MONEY, allow_null=True)
    currency = serializers.CharField()


class AdvisorProductSerializer(serializers.Serializer):
    product = serializers.CharField()
    users = serializers.IntegerField()
    tokens = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True, help_text="Of the team's tokens.")


class AdvisorMonthSerializer(serializers.Serializer):
    month = serializers.IntegerField(min_value=1, max_value=12)
    name = serializers.CharField()
    avg_tokens = serializers.FloatField()
    months_in_range = serializers.IntegerField()
    index = serializers.FloatField(allow_null=True, help_text="avg_tokens ÷ the average month.")


class AdvisorSeasonSerializer(serializers.Serializer):
    months = AdvisorMonthSerializer(many=True)
    peak_month = serializers.CharField(allow_null=True)
    peak_ratio = serializers.FloatField(allow_null=True)
    average = serializers.FloatField(help_text="Average tokens of a month.")


class AdvisorSessionsSerializer(serializers.Serializer):
    charges = serializers.IntegerField(help_text="Charges the session logs explain (metered).")
    tokens = serializers.DecimalField(**MONEY)
    short_session_charges = serializers.IntegerField(
        help_text="Charges whose 24-hour window held under 30 minutes of use."
    )
    short_session_tokens = serializers.DecimalField(**MONEY)
    off_hours_charges = serializers.IntegerField(
        help_text="Charges opened outside 07:00–19:00, Monday to Friday, local time."
    )
    off_hours_tokens = serializers.DecimalField(**MONEY)
    time_zone = serializers.CharField(help_text="The zone of the team's country (else UTC).")


class AdvisorSerializer(serializers.Serializer):
    """SPEC §10 for one team and range."""

    team_id = serializers.CharField()
    team_name = serializers.CharField()
    range = UsageRangeSerializer()
    currency = serializers.CharField(help_text="Your currency.")
    token_price = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, help_text="Your token price in it."
    )
    users = serializers.IntegerField()
    segments = AdvisorSegmentSerializer(many=True)
    users_by_segment = AdvisorUserSerializer(many=True)
    named_vs_flex = AdvisorSeatSerializer(many=True)
    savings = AdvisorSavingsSerializer()
    forecast = AdvisorForecastSerializer(allow_null=True, help_text="Null without a Flex pool.")
    product_mix = AdvisorProductSerializer(many=True)
    seasonality = AdvisorSeasonSerializer()
    sessions = AdvisorSessionsSerializer(
        allow_null=True, help_text="Null without session logs in the range."
    )


EXAMPLE = {
    "team_id": "TM-100042",
    "team_name": "Acme Architects — Design",
    "range": {
        "key": "3m",
        "label": "Past 3 months",
        "start": "2025-12-01",
        "end": "2026-02-28",
        "days": 90,
        "months": 3.0,
    },
    "currency": "USD",
    "token_price": 3.0,
    "users": 3,
    "segments": [
        {"segment": "power", "label": "Power", "users": 1, "tokens": 420, "share": 0.3333},
        {"segment": "regular", "label": "Regular", "users": 1, "tokens": 210, "share": 0.3333},
        {"segment": "occasional", "label": "Occasional", "users": 0, "tokens": 0, "share": 0.0},
        {"segment": "rare", "label": "Rare", "users": 1, "tokens": 60, "share": 0.3333},
    ],
    "users_by_segment": [
        {
            "user": "User 7F3A",
            "segment": "power",
            "days_used": 60,
            "avg_days_per_month": 20.0,
            "tokens": 420,
        }
    ],
    "named_vs_flex": [
        {
            "user": "User 7F3A",
            "product": "AutoCAD",
            "tokens": 420,
            "days_used": 60,
            "avg_days_per_month": 20.0,
            "break_even_days_per_month": 8.06,
            "flex_cost_per_year": 5040.0,
            "named_user_cost_per_year": 2030.0,
            "yearly_saving": 3010.0,
            "currency": "USD",
            "recommendation": "Named seat",
            "note": "",
        }
    ],
    "savings": {
        "users": 2,
        "seats": 2,
        "yearly_saving": [{"currency": "USD", "yearly_saving": 3500.0}],
        "not_compared": 0,
    },
    "forecast": {
        "as_of": "2026-03-10",
        "balance": 766,
        "daily_rate": 9.33,
        "rate_basis": "30 days",
        "forecast_expiring_unused": 0,
        "waste_value": 0.0,
        "latest_end": "2027-01-04",
        "projected_runout": "2026-05-31",
        "needed_until_latest_end": 2800,
        "refill_quantity": 2034,
        "refill_value": 6102.0,
        "currency": "USD",
    },
    "product_mix": [
        {"product": "AutoCAD", "users": 2, "tokens": 630, "share": 0.913},
        {"product": "Revit", "users": 1, "tokens": 60, "share": 0.087},
    ],
    "seasonality": {
        "months": [
            {"month": 12, "name": "Dec", "avg_tokens": 210.0, "months_in_range": 1, "index": 0.91},
            {"month": 1, "name": "Jan", "avg_tokens": 210.0, "months_in_range": 1, "index": 0.91},
            {"month": 2, "name": "Feb", "avg_tokens": 270.0, "months_in_range": 1, "index": 1.17},
        ],
        "peak_month": "Feb",
        "peak_ratio": 1.17,
        "average": 230.0,
    },
    "sessions": None,
}


def advisor_range(params):
    """The range of the parameters; none at all is the past 12 months (as on the tab)."""
    if not any((params.get(key) or "").strip() for key in ("range", "start", "end")):
        return ranges.preset(DEFAULT_RANGE, business_date())
    return parse_range(params)


def advisor_data(team, rng, advice: advisor_selectors.TeamAdvice) -> dict:
    names = advice.names
    waste = advice.waste
    sessions = advice.sessions
    return {
        "team_id": team.team_id,
        "team_name": team.name,
        "range": rng,  # UsageRangeSerializer reads the DateRange
        "currency": advice.price.currency,
        "token_price": advice.price.price,
        "users": len(advice.users),
        "segments": [
            {
                "segment": c.segment,
                "label": c.label,
                "users": c.users,
                "tokens": c.tokens,
                "share": c.share,
            }
            for c in advice.segment_counts
        ],
        "users_by_segment": [
            {
                "user": s.label,
                "segment": s.segment,
                "days_used": s.days,
                "avg_days_per_month": s.avg_days,
                "tokens": s.tokens,
            }
            for s in advice.segments
        ],
        "named_vs_flex": [
            {
                "user": a.label,
                "product": names.get(a.product, "?"),
                "tokens": a.tokens,
                "days_used": a.days,
                "avg_days_per_month": a.avg_days,
                "break_even_days_per_month": a.break_even_days,
                "flex_cost_per_year": a.flex_cost_year,
                "named_user_cost_per_year": a.named_cost_year,
                "yearly_saving": a.saving_year,
                "currency": a.currency,
                "recommendation": a.recommendation,
                "note": a.note,
            }
            for a in advice.seats
        ],
        "savings": {
            "users": advice.savings.users,
            "seats": advice.savings.seats,
            "yearly_saving": [
                {"currency": c, "yearly_saving": v}
                for c, v in sorted(advice.savings.saving_year.items())
            ],
            "not_compared": advice.savings.not_compared,
        },
        "forecast": None
        if waste is None
        else {
            "as_of": waste.as_of,
            "balance": waste.balance,
            "daily_rate": waste.daily_rate,
            "rate_basis": waste.rate_basis,
            "forecast_expiring_unused": waste.waste,
            "waste_value": waste.waste_value,
            "latest_end": waste.latest_end,
            "projected_runout": waste.runout,
            "needed_until_latest_end": waste.need,
            "refill_quantity": waste.refill,
            "refill_value": waste.refill_value,
            "currency": waste.currency,
        },
        "product_mix": [
            {
                "product": names.get(m.product, "?"),
                "users": m.users,
                "tokens": m.tokens,
                "share": m.share,
            }
            for m in advice.mix
        ],
        "seasonality": {
            "months": [
                {
                    "month": m.month,
                    "name": m.name,
                    "avg_tokens": m.tokens,
                    "months_in_range": m.months,
                    "index": m.index,
                }
                for m in advice.season.months
            ],
            "peak_month": advice.season.peak.name if advice.season.peak else None,
            "peak_ratio": advice.season.peak_ratio,
            "average": advice.season.average,
        },
        "sessions": None
        if sessions is None
        else {
            "charges": sessions.charges,
            "tokens": sessions.tokens,
            "short_session_charges": len(sessions.short),
            "short_session_tokens": sessions.short_tokens,
            "off_hours_charges": len(sessions.off_hours),
            "off_hours_tokens": sessions.off_hours_tokens,
            "time_zone": advice.zone,
        },
    }


@team_report_schema(
    summary="A team's Flex advisor",
    description=(
        "SPEC §10 for one of your teams: user segments by average days used a month (power "
        "≥ 18, regular 8–17, occasional 3–7, rare < 3); named user vs Flex per user and "
        "product with the break-even days a month and the yearly saving of a named seat "
        "(at your token price in the catalog price's currency: a pair is not compared, "
        "rather than converted, when you have no price in it); the forecast waste and the "
        "refill quantity; the product mix; seasonality by calendar month with the peak; and "
        "where session logs exist, short-session waste and off-hours use. The range is "
        "`range=30d|3m|6m|9m|12m` or `start=&end=`; without one, the past 12 complete "
        "months (the web tab's default). The numbers are the web Advisor tab's."
    ),
    example=("Past 3 months", EXAMPLE),
    tag="advisor",
)
class AdvisorView(TeamReportView):
    serializer_class = AdvisorSerializer

    def date_range(self, params: Mapping[str, str]) -> DateRange:
        return advisor_range(params)

    def report(self, team: Team, rng: DateRange) -> dict:
        labels = usage_selectors.team_labels(team)
        advice = advisor_selectors.team_advice(team, rng, self.partner, business_date(), labels)
        return advisor_data(team, rng, advice)
