"""`migrate`, run as the schema owner (the `owner` alias) unless told otherwise.

The request role (spp_app) may not change the schema, so a plain
`manage.py migrate` must not use it.
"""

from django.core.management.commands.migrate import Command as DjangoMigrate


class Command(DjangoMigrate):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database="owner")
