from django.core.management.base import BaseCommand, CommandError

from spp.models import ApiKeyScope, Partner
from spp.services import create_api_key, create_operator_key


class Command(BaseCommand):
    help = (
        "Create an API key and print it (it is shown only this once): for a partner "
        "(--partner CSN), or an operator key for the imports endpoint (--operator)."
    )

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--partner", help="The partner's CSN.")
        who.add_argument(
            "--operator",
            action="store_true",
            help="An operator key: may call only /api/v1/imports/, acts for no partner.",
        )
        parser.add_argument(
            "--scope",
            choices=ApiKeyScope.values,
            default=None,
            help="read or read-write (default: read for partner keys, read-write for operator "
            "keys, since imports write)",
        )
        parser.add_argument("--name", default="Command-line key")

    def handle(
        self, *args, partner: str | None, operator: bool, scope: str | None, name: str, **options
    ):
        if operator:
            _, raw = create_operator_key(name=name, scope=scope or ApiKeyScope.READ_WRITE)
            self.stdout.write(raw)
            return
        found = Partner.objects.using("maint").filter(csn=partner).first()
        if found is None:
            raise CommandError(f"No partner with CSN {partner!r}.")
        _, raw = create_api_key(found, name=name, scope=scope or ApiKeyScope.READ, using="maint")
        self.stdout.write(raw)
