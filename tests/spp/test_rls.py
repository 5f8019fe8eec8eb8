"""Row-level security, proved as the request role spp_app (superusers and owners skip RLS)."""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, connections, transaction

from tests.conftest import committed_db
from tests.factories import make_tenants

# Tables with no partner data: Django's own, allauth's, people, and global catalog data.
GLOBAL_TABLES = {
    "django_migrations",
    "django_content_type",
    "django_session",
    "django_admin_log",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
    "spp_user",
    "spp_user_groups",
    "spp_user_user_permissions",
    "account_emailaddress",
    "account_emailconfirmation",
    "mfa_authenticator",
}
GLOBAL_PREFIXES = ("usage_product",)  # the product catalog and its rates are public figures


def _tables(cursor) -> dict[str, tuple[bool, bool]]:
    cursor.execute(
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        """
    )
    return {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}


def _partner_column_tables(cursor) -> set[str]:
    cursor.execute(
        """
        SELECT DISTINCT table_name FROM information_schema.columns
        WHERE table_schema = 'public' AND column_name LIKE '%%partner_id'
        """
    )
    return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_request_role_is_neither_superuser_nor_bypassing_rls():
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        name, superuser, bypass = cursor.fetchone()
        assert name == "spp_app"
        assert superuser is False
        assert bypass is False
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        )
        assert cursor.fetchone()[0] == 0, "spp_app must own no table (owners can skip RLS)"


@pytest.mark.django_db
def test_every_partner_table_has_rls_enabled_and_forced():
    with connections["default"].cursor() as cursor:
        tables = _tables(cursor)
        partner_tables = _partner_column_tables(cursor)
    assert "spp_membership" in partner_tables  # the walk sees real tables
    missing = sorted(t for t in partner_tables if tables.get(t) != (True, True))
    assert missing == [], f"partner tables without RLS enabled and forced: {missing}"


@pytest.mark.django_db
def test_every_non_global_table_has_rls():
    """New tables are covered automatically: anything not declared global needs RLS."""
    with connections["default"].cursor() as cursor:
        tables = _tables(cursor)
    unprotected = sorted(
        name
        for name, flags in tables.items()
        if flags != (True, True)
        and name not in GLOBAL_TABLES
        and not name.startswith(GLOBAL_PREFIXES)
    )
    assert unprotected == [], f"tables without RLS that are not declared global: {unprotected}"


def _rls_tables() -> list[str]:
    with connections["default"].cursor() as cursor:
        return sorted(name for name, flags in _tables(cursor).items() if flags == (True, True))


@committed_db
def test_no_partner_set_sees_nothing_in_any_rls_table():
    make_tenants()
    for table in _rls_tables():
        with transaction.atomic(), connections["default"].cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 — catalog names
            assert cursor.fetchone()[0] == 0, f"{table} leaks rows with no partner set"
    with connections["maint"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM spp_membership")
        assert cursor.fetchone()[0] == 4  # the rows exist; only RLS hid them


@committed_db
def test_partner_a_sees_none_of_partner_b_rows():
    t = make_tenants()
    with transaction.atomic(), connections["default"].cursor() as cursor:
        cursor.execute("SELECT set_config('spp.partner_id', %s, true)", [str(t.a.pk)])
        for table in _rls_tables():
            columns = _partner_columns(cursor, table)
            for column in columns:
                cursor.execute(
                    f"SELECT count(*) FROM {table} WHERE {column} <> %s",
                    [t.a.pk],  # noqa: S608
                )
                assert cursor.fetchone()[0] == 0, f"{table}.{column} shows another partner's rows"
        cursor.execute("SELECT csn FROM spp_partner")
        assert [row[0] for row in cursor.fetchall()] == [t.a.csn]
        cursor.execute("SELECT count(*) FROM spp_membership")
        assert cursor.fetchone()[0] == 3


def _partner_columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = %s AND column_name LIKE '%%partner_id'",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


@committed_db
def test_insert_of_a_b_row_under_a_fails():
    t = make_tenants()
    with pytest.raises(Exception) as failure:  # noqa: B017 — psycopg wraps the RLS error
        with transaction.atomic(), connections["default"].cursor() as cursor:
            cursor.execute("SELECT set_config('spp.partner_id', %s, true)", [str(t.a.pk)])
            cursor.execute(
                "INSERT INTO spp_membership (partner_id, user_id, role, created_at) "
                "VALUES (%s, %s, 'admin', now())",
                [t.b.pk, t.a_viewer.pk],
            )
    assert "row-level security" in str(failure.value)


@committed_db
def test_update_cannot_move_a_row_to_another_partner():
    t = make_tenants()
    with pytest.raises(Exception) as failure:  # noqa: B017
        with transaction.atomic(), connections["default"].cursor() as cursor:
            cursor.execute("SELECT set_config('spp.partner_id', %s, true)", [str(t.a.pk)])
            cursor.execute("UPDATE spp_membership SET partner_id = %s", [t.b.pk])
    assert "row-level security" in str(failure.value)


@committed_db
def test_setting_is_transaction_local_and_never_leaks_to_the_next_transaction():
    t = make_tenants()
    conn = connections["default"]
    with transaction.atomic(), conn.cursor() as cursor:
        cursor.execute("SELECT set_config('spp.partner_id', %s, true)", [str(t.a.pk)])
        cursor.execute("SELECT count(*) FROM spp_membership")
        assert cursor.fetchone()[0] == 3
    with transaction.atomic(), conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM spp_membership")
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
def test_request_role_cannot_change_the_schema():
    with pytest.raises(ProgrammingError, match="permission denied"):
        with connections["default"].cursor() as cursor:
            cursor.execute("CREATE TABLE spp_sneaky (id int)")


@pytest.mark.django_db
def test_request_role_cannot_call_maintenance_functions():
    with pytest.raises(ProgrammingError, match="permission denied"):
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT spp_analyze_snapshots()")
