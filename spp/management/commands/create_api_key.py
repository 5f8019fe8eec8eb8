from django.core.management.base import BaseCommand, CommandError

from spp.models import ApiKeyScope, Partner
from spp.services import create_api_key


class Command(BaseCommand):
    help = "Create an API key for a partner and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("--partner", required=True, help="The partner's CSN.")
        parser.add_argument("--scope", choices=ApiKeyScope.values, default=ApiKeyScope.READ)
        parser.add_argument("--name", default="Command-line key")

    def handle(self, *args, partner: str, scope: str, name: str, **options):
        found = Partner.objects.using("maint").filter(csn=partner).first()
        if found is None:
            raise CommandError(f"No partner with CSN {partner!r}.")
        _, raw = create_api_key(found, name=name, scope=scope, using="maint")
        self.stdout.write(raw)
