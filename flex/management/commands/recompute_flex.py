import os

from django.core.management.base import BaseCommand, CommandError

from flex import services
from spp.dates import business_date, parse_iso_date
from teams.models import Team


class Command(BaseCommand):
    help = "Recompute the Flex snapshots as of a date (default: the business date)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today, or SPP_TODAY)")
        parser.add_argument("--team", action="append", help="Autodesk team id (repeatable)")
        parser.add_argument(
            "--workers",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="processes that share the chunks (default: up to 2)",
        )

    def handle(self, *args, as_of: str | None, team: list[str] | None, workers: int, **options):
        try:
            day = parse_iso_date(as_of, "--as-of") if as_of else business_date()
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        team_pks = None
        if team:
            found = dict(
                Team.unscoped.using("maint").filter(team_id__in=team).values_list("team_id", "pk")
            )
            unknown = sorted(set(team) - set(found))
            if unknown:
                raise CommandError(f"unknown team id(s): {', '.join(unknown)}")
            team_pks = list(found.values())
        result = services.recompute(day, team_pks, workers=max(1, workers))
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(
            f"recomputed {result.teams} teams, {result.snapshots} snapshots "
            f"as of {result.as_of} in {result.seconds:.2f}s"
        )
