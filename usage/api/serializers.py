"""The imports endpoint: a feed file in, the command line's report out (as JSON)."""

from __future__ import annotations

from rest_framework import serializers

from usage.imports import KINDS, ImportReport


class ImportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(KINDS), help_text="The feed (SPEC §12).")
    file = serializers.FileField(help_text="The feed file, .csv or .xlsx.")
    dry_run = serializers.BooleanField(
        default=False, help_text="Validate and report what would change; write nothing."
    )


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The file's own line (or sheet row) number.")
    reasons = serializers.ListField(child=serializers.CharField())


class ImportReportSerializer(serializers.Serializer):
    """ImportReport of usage.imports, as `spp_import` prints it and as data."""

    ok = serializers.BooleanField(help_text="False: the file was refused, nothing written.")
    headline = serializers.CharField()
    kind = serializers.CharField()
    file_name = serializers.CharField()
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField(help_text="Data rows read.")
    counts = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text='Per kind of record, action -> count: {"team": {"created": 3, ...}}.',
    )
    notes = serializers.ListField(child=serializers.CharField())
    file_errors = serializers.ListField(child=serializers.CharField())
    bad_rows = RowErrorSerializer(many=True, help_text="Every bad line once, in file order.")
    teams_affected = serializers.IntegerField()
    teams_recomputed = serializers.IntegerField(
        allow_null=True, help_text="Teams whose Flex recompute was queued; null: none."
    )
    batch_id = serializers.IntegerField(allow_null=True)
    report = serializers.CharField(help_text="The report exactly as `spp_import` prints it.")


def report_data(report: ImportReport) -> dict:
    return {
        "ok": report.ok,
        "headline": report.headline,
        "kind": report.kind,
        "file_name": report.file_name,
        "dry_run": report.dry_run,
        "rows": report.rows,
        "counts": report.counts,
        "notes": report.notes,
        "file_errors": report.file_errors,
        "bad_rows": [{"line": line, "reasons": reasons} for line, reasons in report.bad_lines],
        "teams_affected": report.teams_affected,
        "teams_recomputed": report.teams_recomputed,
        "batch_id": report.batch_id,
        "report": report.format(),
    }


class ImportRefusedSerializer(serializers.Serializer):
    """400: the error body, with the whole report (nothing was written)."""

    code = serializers.CharField()
    message = serializers.CharField()
    field_errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    report = ImportReportSerializer()


# ------------------------------------------------------------------ usage reporting (SPEC §9)
#
# Team-level usage of a linked team (SPEC §1: every linked partner sees it), users only as
# their pseudonymous per-team label ("User 7F3A"): never a user key, an e-mail or anything
# from which one could be recovered. Numbers are the web pages' own (usage.selectors,
# usage.tables), unrounded: averages and shares are plain JSON numbers.


class UsageRangeSerializer(serializers.Serializer):
    """The range the figures are for, as the parameters chose it (usage.ranges)."""

    key = serializers.ChoiceField(
        choices=["30d", "3m", "6m", "9m", "12m", "custom"],
        help_text="The preset, or `custom` for start and end dates.",
    )
    label = serializers.CharField()
    start = serializers.DateField(help_text="First day of the range.")
    end = serializers.DateField(help_text="Last day of the range (at most yesterday).")
    days = serializers.IntegerField(help_text="Days in the range.")
    months = serializers.FloatField(
        help_text="Months in the range, the divisor of the monthly averages: 1 for the past "
        "30 days, 3 for 3m …; a custom range counts each cut month as its share of days."
    )


class UsagePoolSerializer(serializers.Serializer):
    """The team's token pool as in the latest Flex figures (SPEC §4, team-level)."""

    as_of = serializers.DateField(help_text="The business date of these Flex figures.")
    flex_total_tokens = serializers.IntegerField(help_text="Tokens of the active packs.")
    flex_tokens_consumption = serializers.IntegerField(
        help_text="Tokens used of the active packs (the web summary's tokens used)."
    )
    flex_tokens_balance = serializers.IntegerField(help_text="Tokens remaining.")
    flex_balance_rate = serializers.FloatField(
        allow_null=True, help_text="balance ÷ total, a fraction (0.15 = 15%)."
    )
    low_balance = serializers.BooleanField(help_text="Tokens remaining under 20% of the total.")


class UsageSummarySerializer(serializers.Serializer):
    """SPEC §9 summary of one team: the range's figures and the pool."""

    team_id = serializers.CharField(help_text="Autodesk team id.")
    team_name = serializers.CharField()
    range = UsageRangeSerializer()
    tokens_used = serializers.IntegerField(help_text="Tokens used in the range.")
    avg_tokens_per_month = serializers.FloatField(help_text="tokens_used ÷ range.months.")
    days_used = serializers.IntegerField(help_text="Days of the range with any usage.")
    products_used = serializers.IntegerField(help_text="Products with usage in the range.")
    users = serializers.IntegerField(help_text="Distinct (pseudonymous) users in the range.")
    pool = UsagePoolSerializer(
        allow_null=True, help_text="Null until the team's first Flex figures are computed."
    )
    tokens_added_removed_7d = serializers.IntegerField(
        help_text="Net tokens added (+) or removed (−) over the 7 days up to today: your "
        "purchases, moves, merges and adjustments, and the net change of other suppliers' "
        "tokens as one aggregate. The events themselves: `GET teams/{team}/events/`."
    )


class UsageProductSerializer(serializers.Serializer):
    """One product's usage in the range (the web's Usage by product table)."""

    product = serializers.CharField()
    users = serializers.IntegerField(help_text="Distinct users of the product in the range.")
    tokens = serializers.IntegerField()
    avg_tokens_per_month = serializers.FloatField(source="avg_month")
    share = serializers.FloatField(
        allow_null=True, help_text="Share of the team's tokens in the range, a fraction."
    )


class UsageUserSerializer(serializers.Serializer):
    """One user's usage in the range, under the user's pseudonymous label."""

    user = serializers.CharField(
        source="label",
        help_text='Pseudonymous label, stable for the team ("User 7F3A"; "Anonymous" for '
        "masked rows). The same person has another label in another team.",
    )
    products = serializers.ListField(
        child=serializers.CharField(), help_text="Products used, most tokens first."
    )
    product_count = serializers.IntegerField()
    tokens = serializers.IntegerField()
    avg_tokens_per_month = serializers.FloatField(source="avg_month")
    days_used = serializers.IntegerField(
        source="days", help_text="Distinct days with usage in the range."
    )


class UsageDaySerializer(serializers.Serializer):
    """Tokens used on one day of the range (every day, 0 when nothing was used)."""

    day = serializers.DateField()
    tokens = serializers.IntegerField()
    users = serializers.IntegerField(help_text="Distinct users that day.")
