from django.db import migrations

from spp.rls import CURRENT_PARTNER, CURRENT_USER, LINK_TABLE, enable_rls, partner_policy

OWN = f"partner_id = {CURRENT_PARTNER}"
# A quote may only be written for a team the partner is linked to.
QUOTE_WRITE = (
    f"{OWN} AND EXISTS (SELECT 1 FROM {LINK_TABLE} l "
    f"WHERE l.team_id = quotes_quote.team_id AND l.partner_id = {CURRENT_PARTNER})"
)
# A notification is its recipient's: the partner and the signed-in user must both match.
MINE = f"{OWN} AND user_id = {CURRENT_USER}"


class Migration(migrations.Migration):
    """Every quotes table is owned by one partner; quotes need a linked team and
    notifications are readable by their recipient only."""

    dependencies = [("quotes", "0001_initial"), ("teams", "0002_row_level_security")]

    operations = [
        partner_policy("quotes_partnersettings"),
        partner_policy("quotes_pricelist"),
        partner_policy("quotes_numbersequence"),
        partner_policy("quotes_lead"),
        partner_policy("quotes_leadevent"),
        enable_rls("quotes_quote", read=OWN, write=QUOTE_WRITE),
        partner_policy("quotes_quoteline"),
        enable_rls("quotes_notification", read=MINE, write=MINE),
    ]
