"""Operator API keys: a key with no partner that may call only the imports endpoint.

Row-level security on spp_apikey is restated unchanged: a partner sees its own keys
(`partner_id = current partner`, never true for an operator key's NULL partner), and
the request that presents a key sees that one row by its hash. So no partner can read,
revoke or count operator keys, and an operator key still authenticates.
"""

import django.db.models.deletion
from django.db import migrations, models

from spp.rls import CURRENT_API_KEY_HASH, CURRENT_PARTNER, enable_rls

KEY_RULE = f"partner_id = {CURRENT_PARTNER} OR key_hash = {CURRENT_API_KEY_HASH}"
# Reversing this migration must leave 0002's policy in force, not switch RLS off.
POLICY_SQL = enable_rls("spp_apikey", read=KEY_RULE, write=KEY_RULE).sql


class Migration(migrations.Migration):
    dependencies = [
        ("spp", "0002_row_level_security"),
    ]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="is_operator",
            field=models.BooleanField(
                default=False, help_text="An operator key: imports only, acts for no partner."
            ),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="partner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="api_keys",
                to="spp.partner",
            ),
        ),
        migrations.AddConstraint(
            model_name="apikey",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("is_operator", True), ("partner__isnull", True)),
                    models.Q(("is_operator", False), ("partner__isnull", False)),
                    _connector="OR",
                ),
                name="apikey_partner_xor_operator",
            ),
        ),
        migrations.RunSQL(POLICY_SQL, POLICY_SQL),
    ]
