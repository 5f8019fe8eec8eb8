from django.core.management.base import BaseCommand

from spp.demo import DEMO_PASSWORD, seed_people


class Command(BaseCommand):
    help = "Load deterministic demo data: partners, people, customers, teams, packs and usage."

    def add_arguments(self, parser):
        parser.add_argument("--partners", type=int, default=3)
        parser.add_argument("--teams", type=int, default=300)
        parser.add_argument("--days", type=int, default=395)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when partners exist."
        )

    def handle(self, *args, partners: int, teams: int, days: int, seed: int, **options):
        from spp.models import Partner

        if options["if_empty"] and Partner.objects.using("maint").exists():
            self.stdout.write("demo data already loaded")
            return
        logins = seed_people(partners)
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        for login in logins:
            self.stdout.write(f"  {login.email:<32} {login.role:<24} {login.partner}")
