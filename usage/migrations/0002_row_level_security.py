from django.db import migrations

from spp.rls import linked_team_policy


class Migration(migrations.Migration):
    """Usage is visible to every partner linked to the team; the catalog is public."""

    dependencies = [("usage", "0001_initial"), ("teams", "0002_row_level_security")]

    operations = [
        linked_team_policy("usage_usagerow"),
        linked_team_policy("usage_usagedaily"),
        linked_team_policy("usage_usagedailyproduct"),
    ]
