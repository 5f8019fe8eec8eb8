"""Deterministic demo data: partners and people, then customers, teams, packs, events
and 13 months of usage written as feed files and loaded through the real imports."""

import tempfile
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from flex import services
from quotes.demo import seed_quotes
from spp import demo_feeds
from spp.dates import business_date
from spp.demo import DEMO_PASSWORD, PARTNERS, seed_people, seed_relationships
from spp.models import Partner
from usage.demo import seed_sessions
from usage.imports import import_file


class Command(BaseCommand):
    help = "Load deterministic demo data: partners, people, customers, teams, packs and usage."

    def add_arguments(self, parser):
        parser.add_argument("--partners", type=int, default=3)
        parser.add_argument("--teams", type=int, default=300)
        parser.add_argument("--days", type=int, default=395, help="days of usage before D")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when partners exist"
        )

    def handle(self, *args, partners: int, teams: int, days: int, seed: int, **options):
        if options["if_empty"] and Partner.objects.using("maint").exists():
            self.stdout.write("demo data already loaded")
            return
        if not 1 <= partners <= len(PARTNERS):
            raise CommandError(f"--partners must be between 1 and {len(PARTNERS)}")
        if teams < 1 or days < 30:
            raise CommandError("--teams must be at least 1 and --days at least 30")
        as_of = business_date()
        logins = seed_people(partners)
        csns = [csn for csn, *_ in PARTNERS[:partners]]
        with tempfile.TemporaryDirectory(prefix="spp-demo-") as tmp:
            feeds = demo_feeds.generate(
                Path(tmp), partner_csns=csns, teams=teams, days=days, seed=seed, as_of=as_of
            )
            for kind, path in feeds.files:
                report = import_file(kind, path, recompute="none")
                if not report.ok:
                    raise CommandError(f"demo {kind} feed refused:\n{report.format()}")
                self.stdout.write(f"  imported {kind}: {report.rows:,} rows")
            # Session logs of a few teams, with planted discrepancies for the audit.
            seed_sessions(seed, as_of, recompute="none")
        contacts = seed_relationships(seed)
        for day in (as_of - timedelta(days=1), as_of):
            result = services.recompute(day)
        # The demo's week of alerts stays in the app: a seed must not send e-mail.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            quotes = seed_quotes(seed)
        self.stdout.write(
            f"  {len(feeds.teams)} teams, {contacts} contacts, {quotes} quotes, "
            f"{result.snapshots} snapshots as of {as_of}"
        )
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        for login in logins:
            self.stdout.write(f"  {login.email:<32} {login.role:<24} {login.partner}")
