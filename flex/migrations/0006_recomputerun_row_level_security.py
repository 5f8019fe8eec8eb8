from django.db import migrations

from spp.rls import enable_rls


class Migration(migrations.Migration):
    """Run dates are no partner's secret: everyone reads them; only the recompute writes."""

    dependencies = [("flex", "0005_recomputerun")]

    operations = [enable_rls("flex_recomputerun", read="true")]
