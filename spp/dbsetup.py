"""Database roles and privileges, created idempotently with an admin connection.

- spp_owner owns the database and schema and runs migrations;
- spp_app serves web and API requests: no superuser, no BYPASSRLS, not the owner,
  so row-level security always applies to it;
- spp_maint has BYPASSRLS, for imports, recomputes and operator tools.

Tables are created by spp_owner; default privileges grant them to the other two.
This module must not import Django (the embedded runtime calls it from settings).
"""

from __future__ import annotations

import psycopg
from psycopg import sql

OWNER, APP, MAINT = "spp_owner", "spp_app", "spp_maint"
ROLE_OPTIONS = {
    OWNER: "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE",
    APP: "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB",
    MAINT: "LOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE NOCREATEDB",
}


def _with_database(uri: str, database: str) -> str:
    """The same server as `uri`, another database (works for URIs and socket URIs)."""
    info = psycopg.conninfo.conninfo_to_dict(uri)
    info["dbname"] = database
    return psycopg.conninfo.make_conninfo(**info)


def ensure_roles(admin_uri: str, passwords: dict[str, str] | None) -> None:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        for role, options in ROLE_OPTIONS.items():
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
            verb = "ALTER" if exists else "CREATE"
            statement = sql.SQL(f"{verb} ROLE {{}} {options}").format(sql.Identifier(role))
            password = (passwords or {}).get(role)
            if password:
                statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
            conn.execute(statement)


def ensure_database(admin_uri: str, database: str, *, recreate: bool = False) -> None:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        name = sql.Identifier(database)
        if recreate:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                    name, sql.Identifier(OWNER)
                )
            )
    grant_privileges(_with_database(admin_uri, database))


def grant_privileges(admin_db_uri: str, *, truncate_for_app: bool = False) -> None:
    """Schema ownership and the grants every table and sequence gets by default."""
    owner, app, maint = (sql.Identifier(r) for r in (OWNER, APP, MAINT))
    app_table_rights = "SELECT, INSERT, UPDATE, DELETE" + (", TRUNCATE" if truncate_for_app else "")
    statements = [
        sql.SQL("ALTER SCHEMA public OWNER TO {}").format(owner),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}, {}").format(app, maint),
        sql.SQL(f"GRANT {app_table_rights} ON ALL TABLES IN SCHEMA public TO {{}}").format(app),
        sql.SQL(
            "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO {}"
        ).format(maint),
        sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}, {}").format(
            app, maint
        ),
        sql.SQL(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {{}} IN SCHEMA public GRANT {app_table_rights} ON TABLES TO {{}}"
        ).format(owner, app),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO {}"
        ).format(owner, maint),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
            "GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {}, {}"
        ).format(owner, app, maint),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO {}, {}"
        ).format(owner, app, maint),
    ]
    with psycopg.connect(admin_db_uri, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def setup(
    admin_uri: str,
    *,
    database: str = "spp",
    passwords: dict[str, str] | None = None,
    recreate: bool = False,
    truncate_for_app: bool = False,
) -> None:
    """Roles, database and grants; safe to run any number of times."""
    ensure_roles(admin_uri, passwords)
    ensure_database(admin_uri, database, recreate=recreate)
    if truncate_for_app:
        grant_privileges(_with_database(admin_uri, database), truncate_for_app=True)
