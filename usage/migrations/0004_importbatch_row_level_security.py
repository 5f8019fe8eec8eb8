from django.db import migrations

from spp.rls import enable_rls


class Migration(migrations.Migration):
    """Import batches are operator records: no partner reads or writes them (fail closed);
    the maintenance role bypasses RLS."""

    dependencies = [("usage", "0003_importbatch")]

    operations = [enable_rls("usage_importbatch", read="false")]
