"""Shared set-up of the benchmarks: a database of their own, migrated, and a timer."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager


def setup_django() -> None:
    """Use the bench database (`spp_bench` unless SPP_DB_NAME says otherwise), migrated."""
    os.environ.setdefault("SPP_DB_NAME", "spp_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spp.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


@contextmanager
def timed(results: dict, name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    results[name] = time.perf_counter() - started


def sql(statement: str, params=None, alias: str = "maint") -> list[tuple]:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def analyze(*tables: str) -> None:
    """Fresh planner statistics for these tables, as autovacuum keeps them in production
    (without them the planner guesses one row per table). ANALYZE needs the owner."""
    from django.db import connections

    with connections["owner"].cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")
