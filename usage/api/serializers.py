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
