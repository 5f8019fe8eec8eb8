"""Create the three database roles, the database and its grants on a real server.

The embedded server needs none of this (settings do it). For a real server:

    DATABASE_URL=postgres://spp_app:PW1@db/spp \
    DATABASE_MAINT_URL=postgres://spp_maint:PW2@db/spp \
    DATABASE_OWNER_URL=postgres://spp_owner:PW3@db/spp \
    python manage.py setup_db --admin-url postgres://postgres:ADMIN@db/postgres
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from spp import dbsetup


class Command(BaseCommand):
    help = "Create roles spp_owner/spp_app/spp_maint and the database, idempotently."

    def add_arguments(self, parser):
        parser.add_argument("--admin-url", required=True, help="A superuser URL on the server.")

    def handle(self, *args, admin_url: str, **options):
        passwords = {}
        for alias in ("default", "maint", "owner"):
            config = settings.DATABASES[alias]
            if config.get("PASSWORD"):
                passwords[config["USER"]] = config["PASSWORD"]
        name = settings.DATABASES["default"]["NAME"]
        dbsetup.setup(admin_url, database=name, passwords=passwords)
        self.stdout.write(f"roles and database {name!r} are ready")
