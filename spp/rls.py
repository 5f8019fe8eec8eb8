"""Row-level security policies, added to tables by migrations.

Every policy reads the partner from `spp.partner_id`, set per transaction by
spp.tenancy.partner_scope. An unset partner yields NULL, and `x = NULL` is never
true: a connection that forgot to set the partner sees nothing (fail closed).

Usage in a migration:

    operations = [..., rls.partner_policy("quotes_quote")]
    operations = [..., rls.linked_team_policy("usage_usagedaily")]   # read-only for spp_app
"""

from __future__ import annotations

from django.db import migrations

CURRENT_PARTNER = "nullif(current_setting('spp.partner_id', true), '')::bigint"
CURRENT_USER = "nullif(current_setting('spp.user_id', true), '')::bigint"
CURRENT_API_KEY_HASH = "nullif(current_setting('spp.api_key_hash', true), '')"
LINK_TABLE = "teams_teamlink"


def enable_rls(table: str, *, read: str, write: str | None = None) -> migrations.RunSQL:
    """RLS enabled and forced; `read` filters SELECT, `write` (if any) all writes.

    Without `write` the table is read-only for every role subject to RLS: with no
    policy for INSERT/UPDATE/DELETE, PostgreSQL refuses them.
    """
    statements = [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS spp_read ON {table}",
        f"DROP POLICY IF EXISTS spp_write ON {table}",
        f"CREATE POLICY spp_read ON {table} FOR SELECT USING ({read})",
    ]
    if write:
        statements.append(
            f"CREATE POLICY spp_write ON {table} FOR ALL USING ({write}) WITH CHECK ({write})"
        )
    reverse = [
        f"DROP POLICY IF EXISTS spp_read ON {table}",
        f"DROP POLICY IF EXISTS spp_write ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]
    return migrations.RunSQL(";\n".join(statements), ";\n".join(reverse))


def partner_policy(
    table: str, column: str = "partner_id", *, writable: bool = True
) -> migrations.RunSQL:
    """Rows owned by one partner: only that partner reads (and writes) them."""
    rule = f"{column} = {CURRENT_PARTNER}"
    return enable_rls(table, read=rule, write=rule if writable else None)


def linked_team_policy(table: str, team_column: str = "team_id") -> migrations.RunSQL:
    """Rows of a team, visible to every partner linked to it; read-only for the app."""
    rule = (
        f"EXISTS (SELECT 1 FROM {LINK_TABLE} l WHERE l.team_id = {table}.{team_column} "
        f"AND l.partner_id = {CURRENT_PARTNER})"
    )
    return enable_rls(table, read=rule)
