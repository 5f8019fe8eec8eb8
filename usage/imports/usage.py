"""usage: Autodesk's token-usage export as it comes -> UsageRow and the daily roll-ups.

A usage file replaces, for every (team, day) it holds, the usage rows of that team and day
(a corrected re-delivery of a day replaces it); a (team, day) whose rows are the same as
the stored ones is left alone, so the same file twice changes nothing.

Built for a million rows: cells are validated once per distinct value (a million rows
hold a few thousand teams, a few hundred days, tokens and users), rows reach PostgreSQL
by COPY into a temporary staging table, and everything after that is set-based SQL.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connections

from usage.imports import values as v
from usage.imports.common import MAINT, add_products, product_catalog
from usage.imports.pseudonym import secret, user_key
from usage.imports.reader import Column, Table
from usage.imports.report import ImportReport, RowError

COLUMNS = (
    Column("day", ("day_used", "usage_date", "date")),
    Column("team", ("context_id", "team_id", "team_name")),
    Column("product", ("product_name",)),
    Column("version", required=False),
    Column("user", ("email", "hashed_autodesk_id", "hashed_user_id", "user_id", "user_name")),
    Column("tokens", ("tokens_used",)),
    Column("feature", ("feature_id",), required=False),
)
STAGE = "spp_usage_stage"
PAIRS = "spp_usage_pairs"
COPY_CHUNK = 1 << 20


@dataclass
class Distinct:
    """One column, validated: a value per distinct cell and a code per row."""

    codes: np.ndarray  # per row: index into values
    values: list
    reasons: list[str | None]  # per distinct value: why it is bad, or None

    def take(self, dtype: object = object) -> np.ndarray:
        return np.asarray(self.values, dtype=dtype)[self.codes]

    def bad_rows(self) -> np.ndarray:
        bad = np.array([r is not None for r in self.reasons], dtype=bool)
        return np.nonzero(bad[self.codes])[0] if bad.any() else np.empty(0, np.int64)


def per_distinct(series: pd.Series, parse: Callable[[str], object]) -> Distinct:
    """parse() each distinct cell (stripped) once; BadValue -> that value's reason."""
    codes, uniques = pd.factorize(series, sort=False)
    values: list = []
    reasons: list[str | None] = []
    for raw in uniques.tolist():
        try:
            values.append(parse(str(raw).strip()))
            reasons.append(None)
        except v.BadValue as exc:
            values.append(None)
            reasons.append(str(exc))
    return Distinct(codes, values, reasons)


# ------------------------------------------------------------------ validation


class TeamResolver:
    """A team cell names a team by its team id or, failing that, by its unique name."""

    def __init__(self, cells: list[str], label: str) -> None:
        from teams.models import Team

        self.label = label
        wanted = {c.strip() for c in cells if c and c.strip()}
        teams = Team.unscoped.using(MAINT)
        self.by_id = dict(teams.filter(team_id__in=wanted).values_list("team_id", "pk"))
        by_name: dict[str, list[int]] = defaultdict(list)
        for name, pk in teams.filter(name__in=wanted - set(self.by_id)).values_list("name", "pk"):
            by_name[name].append(pk)
        self.by_name = dict(by_name)

    def __call__(self, cell: str) -> int:
        v.required(cell, self.label)
        if cell in self.by_id:
            return self.by_id[cell]
        named = self.by_name.get(cell, [])
        if len(named) == 1:
            return named[0]
        if named:
            raise v.BadValue(
                f"{self.label}: ambiguous team name {cell!r} ({len(named)} teams have it; "
                "use the team id)"
            )
        raise v.BadValue(f"{self.label}: unknown team {cell!r}")


def _tokens(label: str) -> Callable[[str], int]:
    def parse(cell: str) -> int:
        number = v.parse_whole(cell, label)
        if number < 0:
            raise v.BadValue(f"{label}: negative tokens ({number})")
        return number

    return parse


def _day(label: str) -> Callable[[str], str]:
    return lambda cell: v.parse_date(cell, label).isoformat()


def _text(label: str, limit: int) -> Callable[[str], str]:
    return lambda cell: v.max_length(cell, label, limit)


def _product(label: str, catalog: dict[str, int]) -> Callable[[str], str]:
    def parse(cell: str) -> str:
        v.required(cell, label)
        if cell.lower() not in catalog:
            v.max_length(cell, label, 120)  # it will be a new product of the catalog
        return cell

    return parse


def _user(label: str) -> Callable[[str], str]:
    key = secret()

    def parse(cell: str) -> str:
        return user_key(v.required(cell, label), key)

    return parse


@dataclass
class Validated:
    """The file's rows ready for staging (product still as written)."""

    team: np.ndarray
    day: np.ndarray
    product: Distinct
    version: np.ndarray
    user: np.ndarray
    feature: np.ndarray
    tokens: np.ndarray


def validate(
    table: Table, resolved: dict[str, str], catalog: dict[str, int]
) -> tuple[Validated | None, list[RowError]]:
    frame, labels = table.frame, table.labels(resolved)

    def cells(key: str) -> pd.Series:
        if key in resolved:
            return frame[resolved[key]]
        return pd.Series([""] * len(frame), dtype=str)  # an optional column the file lacks

    team_cells = cells("team")
    columns = {
        "day": per_distinct(cells("day"), _day(labels["day"])),
        "team": per_distinct(
            team_cells, TeamResolver(team_cells.unique().tolist(), labels["team"])
        ),
        "product": per_distinct(cells("product"), _product(labels["product"], catalog)),
        "version": per_distinct(cells("version"), _text(labels.get("version", "version"), 40)),
        "user": per_distinct(cells("user"), _user(labels["user"])),
        "tokens": per_distinct(cells("tokens"), _tokens(labels["tokens"])),
        "feature": per_distinct(cells("feature"), _text(labels.get("feature", "feature"), 120)),
    }
    errors = []
    lines = table.lines
    for column in columns.values():
        for i in column.bad_rows().tolist():
            errors.append(RowError(int(lines[i]), column.reasons[column.codes[i]]))
    if errors:
        return None, errors
    validated = Validated(
        team=columns["team"].take(np.int64),
        day=columns["day"].take(),
        product=columns["product"],
        version=columns["version"].take(),
        user=columns["user"].take(),
        feature=columns["feature"].take(),
        tokens=columns["tokens"].take(np.int64),
    )
    return validated, []


# ------------------------------------------------------------------ writes


def run(table: Table, report: ImportReport) -> set[int]:
    resolved = table.resolve(COLUMNS)
    catalog = product_catalog()
    validated, errors = validate(table, resolved, catalog)
    report.row_errors.extend(errors)
    if not report.ok or validated is None:
        return set()
    new_products = add_products(validated.product.values, catalog)
    if new_products:
        report.count("product", "created", len(new_products))
        report.note("new products: " + ", ".join(new_products))
    product_pks = np.array(
        [catalog[name.lower()] for name in validated.product.values], dtype=np.int64
    )[validated.product.codes]
    stage = pd.DataFrame(
        {
            "team_id": validated.team,
            "day": validated.day,
            "product_id": product_pks,
            "version": validated.version,
            "user_key": validated.user,
            "feature": validated.feature,
            "tokens": validated.tokens,
        }
    )
    with connections[MAINT].cursor() as cursor:
        _stage(cursor.cursor, stage)
        return _replace_days(cursor, report)


def _stage(cursor, stage: pd.DataFrame) -> None:
    """COPY the validated rows into a temporary table (dropped at commit or rollback)."""
    cursor.execute(
        f"""
        CREATE TEMP TABLE {STAGE} (
            team_id bigint NOT NULL, day date NOT NULL, product_id bigint NOT NULL,
            version varchar(40) NOT NULL, user_key varchar(64) NOT NULL,
            feature varchar(120) NOT NULL, tokens integer NOT NULL
        ) ON COMMIT DROP
        """
    )
    buffer = io.StringIO()
    stage.to_csv(buffer, header=False, index=False)
    text = buffer.getvalue()
    # FORCE_NOT_NULL: an empty version or feature is "", not NULL.
    with cursor.copy(
        f"COPY {STAGE} FROM STDIN (FORMAT csv, FORCE_NOT_NULL (version, feature))"
    ) as copy:
        for start in range(0, len(text), COPY_CHUNK):
            copy.write(text[start : start + COPY_CHUNK])
    cursor.execute(f"ANALYZE {STAGE}")


def _replace_days(cursor, report: ImportReport) -> set[int]:
    """Replace the stored rows of every (team, day) of the file whose content differs."""
    cursor.execute(
        f"""
        CREATE TEMP TABLE {PAIRS} ON COMMIT DROP AS
        WITH file AS (
            SELECT team_id, day, count(*) AS rows FROM {STAGE} GROUP BY team_id, day
        ), stored AS (
            SELECT u.team_id, u.day, count(*) AS rows
            FROM usage_usagerow u JOIN file f ON f.team_id = u.team_id AND f.day = u.day
            GROUP BY u.team_id, u.day
        )
        SELECT f.team_id, f.day, f.rows, coalesce(s.rows, 0) AS stored,
               CASE WHEN s.rows IS NULL THEN 'new'
                    WHEN s.rows <> f.rows THEN 'replaced'
                    ELSE 'same' END AS state
        FROM file f LEFT JOIN stored s ON s.team_id = f.team_id AND s.day = f.day
        """
    )
    # Same number of rows: the same rows exactly when none of the file's is missing
    # from the database (multiset difference, so repeated rows count).
    cursor.execute(
        f"""
        UPDATE {PAIRS} p SET state = 'replaced'
        FROM (
            SELECT s.team_id, s.day, s.product_id, s.version, s.user_key, s.feature, s.tokens
            FROM {STAGE} s JOIN {PAIRS} p ON p.team_id = s.team_id AND p.day = s.day
            WHERE p.state = 'same'
            EXCEPT ALL
            SELECT u.team_id, u.day, u.product_id, u.version, u.user_key, u.feature, u.tokens
            FROM usage_usagerow u JOIN {PAIRS} p ON p.team_id = u.team_id AND p.day = u.day
            WHERE p.state = 'same'
        ) d
        WHERE p.team_id = d.team_id AND p.day = d.day
        """
    )
    cursor.execute(f"DELETE FROM {PAIRS} WHERE state = 'same'")
    same = cursor.rowcount
    cursor.execute(f"SELECT state, count(*), sum(stored) FROM {PAIRS} GROUP BY state")
    states = {state: (pairs, stored) for state, pairs, stored in cursor.fetchall()}
    report.touch("team-day")
    report.count("team-day", "created", states.get("new", (0, 0))[0])
    report.count("team-day", "updated", states.get("replaced", (0, 0))[0])
    report.count("team-day", "unchanged", same)
    report.touch("usage row", ("created", "deleted"))
    if not states:
        return set()
    cursor.execute(f"ANALYZE {PAIRS}")

    for table in ("usage_usagerow", "usage_usagedailyproduct", "usage_usagedaily"):
        cursor.execute(
            f"DELETE FROM {table} t USING {PAIRS} p WHERE t.team_id = p.team_id AND t.day = p.day"
        )
        if table == "usage_usagerow":
            report.count("usage row", "deleted", cursor.rowcount)
    cursor.execute(
        f"""
        INSERT INTO usage_usagerow (team_id, day, product_id, version, user_key, feature, tokens)
        SELECT s.team_id, s.day, s.product_id, s.version, s.user_key, s.feature, s.tokens
        FROM {STAGE} s JOIN {PAIRS} p ON p.team_id = s.team_id AND p.day = s.day
        """
    )
    report.count("usage row", "created", cursor.rowcount)
    cursor.execute(
        f"""
        INSERT INTO usage_usagedailyproduct (team_id, day, product_id, tokens, users)
        SELECT s.team_id, s.day, s.product_id, sum(s.tokens), count(DISTINCT s.user_key)
        FROM {STAGE} s JOIN {PAIRS} p ON p.team_id = s.team_id AND p.day = s.day
        GROUP BY s.team_id, s.day, s.product_id
        """
    )
    later = _daily_with_running_totals(cursor)
    if later:
        report.note(f"running totals updated on {later} later days")
    cursor.execute(f"SELECT DISTINCT team_id FROM {PAIRS}")
    return {team for (team,) in cursor.fetchall()}


def _daily_with_running_totals(cursor) -> int:
    """Insert the replaced days' daily roll-ups and bring every later day's running total
    (cum_tokens) up to date, in one statement: a window sum over the team's days from its
    first replaced day, on top of the running total of the day before. Days whose total
    does not change are not rewritten. Returns the number of later days rewritten."""
    cursor.execute(
        f"""
        WITH fresh AS (
            SELECT s.team_id, s.day, sum(s.tokens)::bigint AS tokens,
                   count(DISTINCT s.user_key)::int AS users
            FROM {STAGE} s JOIN {PAIRS} p ON p.team_id = s.team_id AND p.day = s.day
            GROUP BY s.team_id, s.day
        ), first AS (
            SELECT team_id, min(day) AS day FROM {PAIRS} GROUP BY team_id
        ), base AS (
            SELECT f.team_id, f.day AS first_day, coalesce((
                SELECT d.cum_tokens FROM usage_usagedaily d
                WHERE d.team_id = f.team_id AND d.day < f.day
                ORDER BY d.day DESC LIMIT 1
            ), 0) AS cum_before
            FROM first f
        ), series AS (
            SELECT team_id, day, tokens, users, NULL::bigint AS id, NULL::bigint AS old_cum
            FROM fresh
            UNION ALL
            SELECT d.team_id, d.day, d.tokens, d.users, d.id, d.cum_tokens
            FROM usage_usagedaily d JOIN base b ON b.team_id = d.team_id AND d.day >= b.first_day
        ), running AS (
            SELECT s.*, b.cum_before
                   + sum(s.tokens) OVER (PARTITION BY s.team_id ORDER BY s.day) AS cum
            FROM series s JOIN base b ON b.team_id = s.team_id
        ), inserted AS (
            INSERT INTO usage_usagedaily (team_id, day, tokens, cum_tokens, users)
            SELECT team_id, day, tokens, cum, users FROM running WHERE id IS NULL
            RETURNING 1
        ), updated AS (
            UPDATE usage_usagedaily d SET cum_tokens = r.cum
            FROM running r
            WHERE r.id IS NOT NULL AND d.id = r.id AND r.old_cum IS DISTINCT FROM r.cum
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated)
        """
    )
    _, updated = cursor.fetchone()
    return updated
