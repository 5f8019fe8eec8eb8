"""A million-row Autodesk usage export through `spp_import usage`, against a bare COPY.

Generates a realistic file (a few thousand teams over ~13 months, several products,
versions and users per team, some masked users), creates the teams through the teams
feed, then times the usage import (all of it: read, validate, pseudonymise, stage, replace
days, roll up, running totals) and, in the same run, a bare COPY of the same file into an
empty unlogged table: the floor no import can beat. Also times the same file again, which
must change nothing.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROWS = int(os.environ.get("SPP_BENCH_IMPORT_ROWS", "1000000"))
TEAMS = 3000
DAYS = 395  # about 13 months
FIRST_DAY = date(2025, 1, 1)
PRODUCTS = {
    "AutoCAD": 7,
    "Revit": 10,
    "Maya": 6,
    "Fusion": 3,
    "Civil 3D": 10,
    "Inventor": 8,
    "3ds Max": 6,
    "Navisworks Manage": 9,
}
VERSIONS = ["2024", "2025", "2026"]
PREFIX = "BENCH-IMP-"


def _setup_django() -> None:
    os.environ.setdefault("SPP_DB_NAME", "spp_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spp.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def write_teams(path: Path) -> None:
    ids = [f"{PREFIX}{i:05d}" for i in range(TEAMS)]
    pd.DataFrame(
        {
            "Team ID": ids,
            "Team Name": [f"Bench Studio {i}" for i in range(TEAMS)],
            "Account CSN": [f"BA-{i // 3:05d}" for i in range(TEAMS)],
            "Account Name": [f"Bench Customer {i // 3}" for i in range(TEAMS)],
            "Country": np.random.default_rng(1).choice(["US", "DE", "FR", "GB", "JP"], TEAMS),
        }
    ).to_csv(path, index=False)


def write_usage(path: Path, rows: int) -> None:
    """Autodesk's snake_case export: day_used, team, product_name, version, email,
    tokens_used, feature. Team sizes and activity are skewed, as in real portfolios."""
    rng = np.random.default_rng(42)
    weights = rng.pareto(1.5, TEAMS) + 0.1
    team = rng.choice(TEAMS, rows, p=weights / weights.sum())
    users_per_team = rng.integers(1, 40, TEAMS)
    user = (rng.random(rows) * users_per_team[team]).astype(np.int64)
    names = np.array(list(PRODUCTS))
    product = rng.choice(len(names), rows, p=[0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05])
    rates = np.array(list(PRODUCTS.values()))
    days = np.array([(FIRST_DAY + timedelta(days=d)).isoformat() for d in range(DAYS)])
    emails = np.char.add(
        np.char.add("user", user.astype(str)), np.char.add("@customer", team.astype(str))
    )
    emails = np.char.add(emails, ".example")
    masked = rng.random(rows) < 0.05
    emails = np.where(masked, "*****", emails)
    frame = pd.DataFrame(
        {
            "day_used": days[rng.integers(0, DAYS, rows)],
            "team": np.char.add(PREFIX, np.char.zfill(team.astype(str), 5)),
            "product_name": names[product],
            "version": np.array(VERSIONS)[rng.integers(0, len(VERSIONS), rows)],
            "email": emails,
            "tokens_used": rates[product],
            "feature": np.where(rng.random(rows) < 0.2, "Cloud render", ""),
        }
    )
    frame.to_csv(path, index=False)


def clear_bench_usage() -> None:
    from django.db import connections

    with connections["maint"].cursor() as cursor:
        for table in ("usage_usagerow", "usage_usagedaily", "usage_usagedailyproduct"):
            cursor.execute(
                f"DELETE FROM {table} WHERE team_id IN "  # noqa: S608 — fixed names
                "(SELECT id FROM teams_team WHERE team_id LIKE %s)",
                [PREFIX + "%"],
            )


def bare_copy_seconds(path: Path) -> float:
    """COPY of the file's text into an empty unlogged table (owner alias: it may create)."""
    from django.db import connections

    with connections["owner"].cursor() as cursor:
        raw = cursor.cursor
        raw.execute("DROP TABLE IF EXISTS bench_bare_copy")
        raw.execute(
            "CREATE UNLOGGED TABLE bench_bare_copy (day_used text, team text, product_name text,"
            " version text, email text, tokens_used text, feature text)"
        )
        started = time.perf_counter()
        with (
            open(path, "rb") as source,
            raw.copy("COPY bench_bare_copy FROM STDIN (FORMAT csv, HEADER)") as copy,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - started
        raw.execute("DROP TABLE bench_bare_copy")
    return seconds


def main() -> None:
    _setup_django()
    from usage.imports import import_file

    with tempfile.TemporaryDirectory() as folder:
        teams_csv, usage_csv = Path(folder, "teams.csv"), Path(folder, "usage.csv")
        started = time.perf_counter()
        write_teams(teams_csv)
        write_usage(usage_csv, ROWS)
        size = usage_csv.stat().st_size / 1e6
        print(f"generated {ROWS:,} rows ({size:.0f} MB) in {time.perf_counter() - started:.1f}s")
        teams = import_file("teams", teams_csv, recompute="none")
        assert teams.ok, teams.format()
        clear_bench_usage()

        started = time.perf_counter()
        report = import_file("usage", usage_csv, recompute="none")
        seconds = time.perf_counter() - started
        assert report.ok, report.format()
        print(report.format())
        print(f"usage import: {ROWS:,} rows in {seconds:.1f}s = {ROWS / seconds:,.0f} rows/s")

        started = time.perf_counter()
        again = import_file("usage", usage_csv, recompute="none")
        repeat = time.perf_counter() - started
        assert again.ok and not again.changed, again.format()
        print(f"same file again (changes nothing): {repeat:.1f}s")

        bare = bare_copy_seconds(usage_csv)
        print(f"bare COPY into an unlogged table: {bare:.1f}s = {ROWS / bare:,.0f} rows/s")
        print(f"import ÷ bare COPY: {seconds / bare:.1f}")
    clear_bench_usage()  # leave the bench teams, not a million rows other benchmarks would read
