"""ANALYZE of the snapshot table for the recompute, which runs as spp_maint.

Only a table's owner may ANALYZE it (PostgreSQL 16), so the function runs with its
owner's rights (SECURITY DEFINER, owned by spp_owner, which runs migrations) and only
spp_maint may call it.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION spp_analyze_snapshots() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    ANALYZE flex_flexsnapshot;
END
$$;
REVOKE ALL ON FUNCTION spp_analyze_snapshots() FROM PUBLIC;
REVOKE ALL ON FUNCTION spp_analyze_snapshots() FROM spp_app;
GRANT EXECUTE ON FUNCTION spp_analyze_snapshots() TO spp_maint;
"""


class Migration(migrations.Migration):
    dependencies = [("flex", "0003_row_level_security")]

    operations = [
        migrations.RunSQL(CREATE, "DROP FUNCTION IF EXISTS spp_analyze_snapshots()"),
    ]
