"""`GET teams/{team}/audit/`: reported charges held against the session logs (SPEC §11).

Thin: usage.selectors.team_audit() — the web Audit tab's call — for the range. Users and
machines appear only as pseudonymous per-team labels (SPEC §1); values are at the
caller's own token price.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

from rest_framework import serializers

from spp.api.reports import TeamReportView, team_report_schema
from spp.dates import business_date
from teams.models import Team
from usage import audit, selectors
from usage.api.serializers import UsageRangeSerializer
from usage.ranges import DateRange

MONEY = {"max_digits": 14, "decimal_places": 2}
TOKENS = {"max_digits": 12, "decimal_places": 2}


class AuditSessionSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="UTC.")
    end = serializers.DateTimeField(help_text="UTC.")
    version = serializers.CharField()
    machine = serializers.CharField(help_text="Pseudonymous label of the machine.")


class AuditCauseSerializer(serializers.Serializer):
    cause = serializers.ChoiceField(choices=list(audit.CAUSES))
    label = serializers.CharField()
    charges = serializers.IntegerField()
    tokens_at_stake = serializers.DecimalField(**TOKENS)
    value_at_stake = serializers.DecimalField(**MONEY, allow_null=True)


class AuditFindingSerializer(serializers.Serializer):
    """A reported charge the sessions do not explain (in full)."""

    day = serializers.DateField(help_text="The UTC day of the reported charge.")
    user = serializers.CharField(help_text="Pseudonymous label of the user in this team.")
    product = serializers.CharField()
    version = serializers.CharField()
    tokens_reported = serializers.IntegerField()
    tokens_at_stake = serializers.DecimalField(
        **TOKENS, help_text="Reported tokens the sessions do not explain."
    )
    value_at_stake = serializers.DecimalField(**MONEY, allow_null=True)
    cause = serializers.ChoiceField(choices=list(audit.CAUSES))
    cause_label = serializers.CharField()
    explanation = serializers.CharField()
    sessions = AuditSessionSerializer(
        many=True, help_text="The sessions of this user and product with use that day."
    )


class AuditWarningSerializer(serializers.Serializer):
    """One user running one product on two machines at once (Flex allows one device)."""

    day = serializers.DateField()
    user = serializers.CharField(help_text="Pseudonymous label of the user in this team.")
    product = serializers.CharField()
    start = serializers.DateTimeField(help_text="When both machines were open (UTC).")
    end = serializers.DateTimeField()
    minutes = serializers.IntegerField()
    machines = serializers.ListField(child=serializers.CharField())
    sessions = AuditSessionSerializer(many=True)


class AuditSerializer(serializers.Serializer):
    """SPEC §11 for one team and range."""

    team_id = serializers.CharField()
    team_name = serializers.CharField()
    range = UsageRangeSerializer()
    audited_start = serializers.DateField(
        allow_null=True, help_text="First day the session logs cover (null: none in the range)."
    )
    audited_end = serializers.DateField(allow_null=True)
    not_audited = serializers.IntegerField(
        help_text="Reported charges of the range outside the days the logs cover."
    )
    currency = serializers.CharField()
    token_price = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    reported_charges = serializers.IntegerField()
    reported_tokens = serializers.IntegerField()
    expected_charges = serializers.IntegerField(help_text="Metered charges with tokens.")
    expected_tokens = serializers.DecimalField(**TOKENS)
    tokens_at_stake = serializers.DecimalField(**TOKENS)
    value_at_stake = serializers.DecimalField(**MONEY, allow_null=True)
    by_cause = AuditCauseSerializer(many=True)
    findings = AuditFindingSerializer(many=True)
    warnings = AuditWarningSerializer(many=True)


SESSION_EXAMPLE = {
    "start": "2026-03-02T20:00:00Z",
    "end": "2026-03-03T01:30:00Z",
    "version": "2026",
    "machine": "Machine 3F2A",
}
EXAMPLE = {
    "team_id": "TM-100042",
    "team_name": "Acme Architects — Design",
    "range": {
        "key": "30d",
        "label": "Past 30 days",
        "start": "2026-02-08",
        "end": "2026-03-09",
        "days": 30,
        "months": 1.0,
    },
    "audited_start": "2026-03-02",
    "audited_end": "2026-03-09",
    "not_audited": 1,
    "currency": "USD",
    "token_price": 3.0,
    "reported_charges": 8,
    "reported_tokens": 62,
    "expected_charges": 3,
    "expected_tokens": 21.0,
    "tokens_at_stake": 41.0,
    "value_at_stake": 123.0,
    "by_cause": [
        {
            "cause": "midnight",
            "label": "Midnight double charge",
            "charges": 1,
            "tokens_at_stake": 7.0,
            "value_at_stake": 21.0,
        }
    ],
    "findings": [
        {
            "day": "2026-03-03",
            "user": "User 7F3A",
            "product": "AutoCAD",
            "version": "2026",
            "tokens_reported": 7,
            "tokens_at_stake": 7.0,
            "value_at_stake": 21.0,
            "cause": "midnight",
            "cause_label": "Midnight double charge",
            "explanation": "A 24-hour window opened the day before still covered this use: "
            "charged twice across midnight UTC.",
            "sessions": [SESSION_EXAMPLE],
        }
    ],
    "warnings": [
        {
            "day": "2026-03-09",
            "user": "User 0C1D",
            "product": "AutoCAD",
            "start": "2026-03-09T10:00:00Z",
            "end": "2026-03-09T11:00:00Z",
            "minutes": 60,
            "machines": ["Machine 3F2A", "Machine 91BE"],
            "sessions": [SESSION_EXAMPLE],
        }
    ],
}


def _value(tokens: Decimal, price: Decimal | None) -> Decimal | None:
    return None if price is None else tokens * price


def _sessions(items, machines: dict[str, str]) -> list[dict]:
    return [
        {
            "start": s.start.astimezone(UTC),
            "end": s.end.astimezone(UTC),
            "version": s.version,
            "machine": machines.get(s.machine, ""),
        }
        for s in items
    ]


def audit_data(team, rng, found: selectors.TeamAudit, price) -> dict:
    result = found.result
    labels, machines = found.labels, found.machines
    data = {
        "team_id": team.team_id,
        "team_name": team.name,
        "range": rng,  # UsageRangeSerializer reads the DateRange
        "audited_start": found.coverage[0] if found.coverage else None,
        "audited_end": found.coverage[1] if found.coverage else None,
        "not_audited": found.reported_outside,
        "currency": price.currency,
        "token_price": price.price,
        "reported_charges": 0,
        "reported_tokens": 0,
        "expected_charges": 0,
        "expected_tokens": Decimal(0),
        "tokens_at_stake": Decimal(0),
        "value_at_stake": _value(Decimal(0), price.price),
        "by_cause": [],
        "findings": [],
        "warnings": [],
    }
    if result is None:
        return data
    products = {v.reported.product for v in result.verdicts} | {w.product for w in result.warnings}
    names = selectors.product_names(products)
    findings = sorted(
        result.findings,
        key=lambda v: (v.reported.day, labels.get(v.reported.user, ""), v.reported.product),
    )
    data.update(
        reported_charges=len(result.verdicts),
        reported_tokens=result.reported_tokens,
        expected_charges=sum(1 for c in result.charges if c.tokens),
        expected_tokens=result.expected_tokens,
        tokens_at_stake=result.tokens_at_stake,
        value_at_stake=_value(result.tokens_at_stake, price.price),
        by_cause=[
            {
                "cause": t.cause,
                "label": t.label,
                "charges": t.charges,
                "tokens_at_stake": t.tokens,
                "value_at_stake": _value(t.tokens, price.price),
            }
            for t in result.by_cause()
        ],
        findings=[
            {
                "day": v.reported.day,
                "user": labels.get(v.reported.user, "Anonymous"),
                "product": names.get(v.reported.product, "?"),
                "version": v.reported.version,
                "tokens_reported": v.reported.tokens,
                "tokens_at_stake": v.at_stake,
                "value_at_stake": _value(v.at_stake, price.price),
                "cause": v.status,
                "cause_label": v.label,
                "explanation": v.explanation,
                "sessions": _sessions(v.sessions, machines),
            }
            for v in findings
        ],
        warnings=[
            {
                "day": w.day,
                "user": labels.get(w.user, "Anonymous"),
                "product": names.get(w.product, "?"),
                "start": w.start.astimezone(UTC),
                "end": w.end.astimezone(UTC),
                "minutes": round(w.duration.total_seconds() / 60),
                "machines": [machines.get(m, "") for m in w.machines],
                "sessions": _sessions(w.sessions, machines),
            }
            for w in result.warnings
        ],
    )
    return data


@team_report_schema(
    summary="A team's usage audit",
    description=(
        "SPEC §11 for one of your teams: from the customer's session logs, the charges Flex "
        "should have made (a 24-hour window per user and product from a launch, launches "
        "of any version inside it free, sessions closed within 5 minutes free, use past the "
        "window's end a new charge, nothing under a named-user seat, the catalog's daily "
        "rate, by UTC day), held against Autodesk's reported usage of the same days. Every "
        "reported charge the sessions do not explain is a finding with its cause "
        "(`subscription`, `no_session`, `midnight`, `two_versions`, `short_launch`, or "
        "`unexplained`), the tokens and value at stake and the sessions of that day; two "
        "machines at once are compliance warnings. Only the days the logs cover are "
        "audited (`audited_start` … `audited_end`). The range is `range=30d|3m|6m|9m|12m` "
        "(default `30d`) or `start=&end=`; a bad one is a 400 naming the parameter. The "
        "numbers are the web Audit tab's; its evidence file lists every reported charge."
    ),
    example=("Past 30 days", EXAMPLE),
    tag="audit",
)
class AuditView(TeamReportView):
    serializer_class = AuditSerializer

    def report(self, team: Team, rng: DateRange) -> dict:
        from flex.advisor_selectors import token_price

        found = selectors.team_audit(team, rng, selectors.team_labels(team))
        price = token_price(self.partner, business_date())
        return audit_data(team, rng, found, price)
