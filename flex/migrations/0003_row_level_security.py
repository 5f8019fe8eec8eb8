from django.db import migrations

from spp.rls import CURRENT_PARTNER, LINK_TABLE, enable_rls, partner_policy

OWN_PACK = (
    "EXISTS (SELECT 1 FROM flex_pack p WHERE p.id = flex_tokenevent.pack_id "
    f"AND p.seller_partner_id = {CURRENT_PARTNER})"
)
LINKED_TEAMS = (
    f"EXISTS (SELECT 1 FROM {LINK_TABLE} l WHERE l.partner_id = {CURRENT_PARTNER} "
    "AND l.team_id IN (flex_tokenevent.from_team_id, flex_tokenevent.to_team_id))"
)
SELLER_LINKED = (
    f"seller_partner_id = {CURRENT_PARTNER} AND EXISTS (SELECT 1 FROM {LINK_TABLE} l "
    f"WHERE l.team_id = flex_pack.team_id AND l.partner_id = {CURRENT_PARTNER})"
)


class Migration(migrations.Migration):
    """Packs: their seller only. Events: of own packs, or merges of linked teams.
    Snapshots: their partner only, written by the recompute alone."""

    dependencies = [("flex", "0002_initial"), ("teams", "0002_row_level_security")]

    operations = [
        enable_rls("flex_pack", read=f"seller_partner_id = {CURRENT_PARTNER}", write=SELLER_LINKED),
        enable_rls(
            "flex_tokenevent",
            read=f"(pack_id IS NOT NULL AND {OWN_PACK}) OR (pack_id IS NULL AND {LINKED_TEAMS})",
        ),
        partner_policy("flex_flexsnapshot", writable=False),
    ]
