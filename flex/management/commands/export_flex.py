"""`manage.py export_flex --partner CSN [--as-of D] [--bucket B] --output FILE`.

The same FilterSet and writer as the Flex list's export, run as the partner (RLS).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from flex import export
from flex.filtersets import FlexSnapshotFilterSet
from flex.selectors import BUCKET_BY_KEY
from spp.dates import parse_iso_date
from spp.models import Partner
from spp.tenancy import partner_scope


class Command(BaseCommand):
    help = "Export a partner's Flex list (SPEC §6) to .xlsx or .csv, chosen by the file suffix."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partner", required=True, help="the partner's CSN")
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: the latest figures)")
        parser.add_argument("--bucket", choices=list(BUCKET_BY_KEY), help="a SPEC §5 bucket")
        parser.add_argument("--output", required=True, help="FILE.xlsx or FILE.csv")

    def handle(self, *args, **options) -> None:
        output = Path(options["output"])
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in export.FORMATS:
            raise CommandError("--output must end in .xlsx or .csv")
        params = {}
        if options["as_of"]:
            try:
                params["as_of"] = parse_iso_date(options["as_of"], "--as-of").isoformat()
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        if options["bucket"]:
            params["bucket"] = options["bucket"]
        # Operators name the partner; reading it needs no partner scope on the maint alias.
        partner = Partner.objects.using("maint").filter(csn=options["partner"]).first()
        if partner is None:
            raise CommandError(f"No partner with CSN {options['partner']!r}")
        with partner_scope(partner):
            filterset = FlexSnapshotFilterSet(params)
            if not filterset.is_valid():
                raise CommandError("; ".join(filterset.error_messages()))
            as_of = filterset.resolved_as_of()
            rows = export.rows_from(filterset.qs)
            output.parent.mkdir(parents=True, exist_ok=True)
            export.write_file(rows, fmt, output)
        as_of_text = as_of.isoformat() if as_of else "no figures"
        self.stdout.write(f"{len(rows)} rows as of {as_of_text} written to {output}")
