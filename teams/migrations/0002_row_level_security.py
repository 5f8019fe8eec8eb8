from django.db import migrations

from spp.rls import CURRENT_PARTNER, enable_rls, linked_team_policy, partner_policy

ACCOUNT_LINKED = (
    "EXISTS (SELECT 1 FROM teams_team t JOIN teams_teamlink l ON l.team_id = t.id "
    f"WHERE t.account_id = {{table}}.{{column}} AND l.partner_id = {CURRENT_PARTNER})"
)


class Migration(migrations.Migration):
    dependencies = [("teams", "0001_initial")]

    operations = [
        # Shared customer data: visible through a link, written by operators only.
        enable_rls("teams_account", read=ACCOUNT_LINKED.format(table="teams_account", column="id")),
        linked_team_policy("teams_team", team_column="id"),
        partner_policy("teams_teamlink", writable=False),
        # The partner's own notes on a customer, only about customers it can see.
        enable_rls(
            "teams_accountassignment",
            read=f"partner_id = {CURRENT_PARTNER}",
            write=f"partner_id = {CURRENT_PARTNER} AND "
            + ACCOUNT_LINKED.format(table="teams_accountassignment", column="account_id"),
        ),
        enable_rls(
            "teams_contact",
            read=f"partner_id = {CURRENT_PARTNER}",
            write=f"partner_id = {CURRENT_PARTNER} AND "
            + ACCOUNT_LINKED.format(table="teams_contact", column="account_id"),
        ),
    ]
