"""Row-level security on the tenancy tables.

A partner row is visible when it is the current partner, or one of the current
user's partners (the partner switcher reads them before a partner is chosen).
A membership is visible to its partner and to its own user. An API key is
visible to its partner, and to the request that presents the key (by hash).
"""

from django.db import migrations

from spp.rls import CURRENT_API_KEY_HASH, CURRENT_PARTNER, CURRENT_USER, enable_rls

MEMBER_OF = (
    "EXISTS (SELECT 1 FROM spp_membership m "
    f"WHERE m.partner_id = spp_partner.id AND m.user_id = {CURRENT_USER})"
)


class Migration(migrations.Migration):
    dependencies = [("spp", "0001_initial")]

    operations = [
        enable_rls(
            "spp_partner",
            read=f"id = {CURRENT_PARTNER} OR {MEMBER_OF}",
            write=f"id = {CURRENT_PARTNER}",
        ),
        enable_rls(
            "spp_membership",
            read=f"partner_id = {CURRENT_PARTNER} OR user_id = {CURRENT_USER}",
            write=f"partner_id = {CURRENT_PARTNER}",
        ),
        enable_rls(
            "spp_apikey",
            read=f"partner_id = {CURRENT_PARTNER} OR key_hash = {CURRENT_API_KEY_HASH}",
            write=f"partner_id = {CURRENT_PARTNER} OR key_hash = {CURRENT_API_KEY_HASH}",
        ),
    ]
