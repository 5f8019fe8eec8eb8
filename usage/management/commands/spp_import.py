"""`manage.py spp_import KIND FILE [--dry-run]`: the operator's data feeds (SPEC §12)."""

from django.core.management.base import BaseCommand, CommandError

from usage.imports import KINDS, RECOMPUTE, import_file


class Command(BaseCommand):
    help = (
        "Import a feed file (.csv or .xlsx): all or nothing, idempotent. Exits 1 with the "
        "list of bad rows when any row is bad (nothing is written then)."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS))
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report; write nothing"
        )
        parser.add_argument(
            "--recompute",
            choices=RECOMPUTE,
            default="now",
            help="Flex recompute of the affected teams: now (default), queue (Celery), none",
        )

    def handle(self, *args, kind: str, file: str, dry_run: bool, recompute: str, **options):
        report = import_file(kind, file, dry_run=dry_run, recompute=recompute)
        self.stdout.write(report.format())
        if not report.ok:
            raise CommandError(report.headline, returncode=1)
        if report.recompute_error:  # saved, but figures are stale: a script must notice
            raise CommandError(report.recompute_error, returncode=2)
