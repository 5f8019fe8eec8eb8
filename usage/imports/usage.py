"""usage: Autodesk's token-usage export as it comes -> UsageRow and the daily roll-ups.

A usage file replaces, for every (team, day) it holds, the usage rows of that team and day
(a corrected re-delivery of a day replaces it); a (team, day) whose rows are the same as
the stored ones is left alone, so the same file twice changes nothing.

Built for a million rows: cells are validated once per distinct value (a million rows
hold a few thousand teams, a few hundred days, tokens and users), rows reach PostgreSQL
by COPY into a temporary staging table, and everything after that is set-based SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import DatabaseError, connections

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
STAGE_DAILY_PRODUCT = "spp_usage_stage_daily_product"
STAGE_DAILY = "spp_usage_stage_daily"
COPY_CHUNK = 1 << 20


@dataclass
class Distinct:
    """One column, validated: a value per distinct cell and a code per row."""

    codes: np.ndarray  # per row: index into values
    values: list
    reasons: list[str | None]  # per distinct value: why it is bad, or None

    def take(self, dtype: object = object) -> np.ndarray:
        return np.asarray(self.values, dtype=dtype)[self.codes]

    def same_value_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row, a code shared by rows whose *parsed* values are equal ("2025-01-03" and
        "2025-01-03T10:00" are one day; "Ann@x.com" and "ann@x.com" one user); and the
        value of each code."""
        canonical, uniques = pd.factorize(pd.Series(self.values, dtype=object), sort=False)
        return canonical[self.codes], np.asarray(uniques, dtype=object)

    def bad_rows(self) -> np.ndarray:
        bad = np.array([r is not None for r in self.reasons], dtype=bool)
        return np.nonzero(bad[self.codes])[0] if bad.any() else np.empty(0, np.int64)


def per_distinct(series: pd.Series, parse: Callable[[str], object]) -> Distinct:
    """parse() each distinct cell (stripped) once; BadValue -> that value's reason."""
    # No NA sentinel: a missing cell gets a code of its own (and is refused as a value).
    codes, uniques = pd.factorize(series, sort=False, use_na_sentinel=False)
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


def _limited(label: str, limit: int) -> Callable[[str], str]:
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
    """The file's rows, every cell parsed (products still as written)."""

    team: Distinct
    day: Distinct
    product: Distinct
    version: Distinct
    user: Distinct
    feature: Distinct
    tokens: Distinct


def validate(
    table: Table, resolved: dict[str, str], catalog: dict[str, int]
) -> tuple[Validated | None, list[RowError]]:
    frame, labels = table.frame, table.labels(resolved)

    def cells(key: str) -> pd.Series:
        if key in resolved:
            return frame[resolved[key]]
        return pd.Series([""] * len(frame), dtype=str)  # an optional column the file lacks

    team_cells = cells("team")
    validated = Validated(
        day=per_distinct(cells("day"), _day(labels["day"])),
        team=per_distinct(team_cells, TeamResolver(team_cells.unique().tolist(), labels["team"])),
        product=per_distinct(cells("product"), _product(labels["product"], catalog)),
        version=per_distinct(cells("version"), _limited(labels.get("version", "version"), 40)),
        user=per_distinct(cells("user"), _user(labels["user"])),
        tokens=per_distinct(cells("tokens"), _tokens(labels["tokens"])),
        feature=per_distinct(cells("feature"), _limited(labels.get("feature", "feature"), 120)),
    )
    errors = []
    lines = table.lines
    for column in (
        validated.day,
        validated.team,
        validated.product,
        validated.version,
        validated.user,
        validated.tokens,
        validated.feature,
    ):
        for i in column.bad_rows().tolist():
            errors.append(RowError(int(lines[i]), column.reasons[column.codes[i]]))
    return (None, errors) if errors else (validated, [])


@dataclass
class Staged:
    """What goes to PostgreSQL: the rows (as COPY text columns, in (team, day) order) and
    both roll-ups of every (team, day) of the file."""

    rows: list[np.ndarray]  # team_id, day, product_id, version, user_key, feature, tokens
    daily_product: pd.DataFrame  # team_id, day, product_id, tokens, users
    daily: pd.DataFrame  # team_id, day, tokens, users


def copy_escape(value: object) -> str:
    """A value in COPY's text format (backslash, tab, newline, carriage return escaped)."""
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _copy_text(distinct: Distinct, values: list | None = None) -> np.ndarray:
    """Per row, the COPY text of its value, escaped once per distinct value."""
    pieces = [copy_escape(v) for v in (distinct.values if values is None else values)]
    return np.asarray(pieces, dtype=object)[distinct.codes]


def stage_frames(validated: Validated, catalog: dict[str, int]) -> Staged:
    """Rows in (team, day) order, and the roll-ups, computed on integer codes (grouping a
    million rows on codes takes a fraction of a second; in SQL on text keys, seconds)."""
    product_of_value = [catalog[name.lower()] for name in validated.product.values]
    product = np.asarray(product_of_value, dtype=np.int64)[validated.product.codes]
    team = validated.team.take(np.int64)
    day, day_of_code = validated.day.same_value_codes()
    order = np.lexsort((day, team))
    rows = [
        _copy_text(validated.team),
        _copy_text(validated.day),
        _copy_text(validated.product, product_of_value),
        _copy_text(validated.version),
        _copy_text(validated.user),
        _copy_text(validated.feature),
        _copy_text(validated.tokens),
    ]
    codes = pd.DataFrame(
        {
            "team_id": team,
            "day_code": day,
            "product_id": product,
            "user": validated.user.same_value_codes()[0],
            "tokens": validated.tokens.take(np.int64),
        }
    )

    def roll_up(keys: list[str]) -> pd.DataFrame:
        per_user = codes.groupby([*keys, "user"], sort=False)["tokens"].sum()
        grouped = per_user.groupby(level=keys, sort=True).agg(tokens="sum", users="size")
        frame = grouped.reset_index()
        frame.insert(1, "day", day_of_code[frame.pop("day_code").to_numpy()])
        return frame

    return Staged(
        rows=[column[order] for column in rows],
        daily_product=roll_up(["team_id", "day_code", "product_id"]),
        daily=roll_up(["team_id", "day_code"]),
    )


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
    staged = stage_frames(validated, catalog)
    with connections[MAINT].cursor() as cursor:
        _session_memory(cursor)
        _copy(cursor, STAGE, STAGE_COLUMNS, staged.rows)
        _copy(cursor, STAGE_DAILY_PRODUCT, DAILY_PRODUCT_COLUMNS, _columns(staged.daily_product))
        _copy(cursor, STAGE_DAILY, DAILY_COLUMNS, _columns(staged.daily))
        return _replace_days(cursor, report)


STAGE_COLUMNS = """
    team_id bigint NOT NULL, day date NOT NULL, product_id bigint NOT NULL,
    version varchar(40) NOT NULL, user_key varchar(64) NOT NULL,
    feature varchar(120) NOT NULL, tokens integer NOT NULL
"""
DAILY_PRODUCT_COLUMNS = """
    team_id bigint NOT NULL, day date NOT NULL, product_id bigint NOT NULL,
    tokens bigint NOT NULL, users integer NOT NULL
"""
DAILY_COLUMNS = (
    "team_id bigint NOT NULL, day date NOT NULL, tokens bigint NOT NULL, users integer NOT NULL"
)


def _session_memory(cursor) -> None:
    """More memory for this transaction's sorts and hashes, and for the temporary tables
    (temp_buffers can only grow before the session's first temporary table: try it)."""
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute("SAVEPOINT spp_temp_buffers")
    try:
        cursor.execute("SET LOCAL temp_buffers = '512MB'")
    except DatabaseError:
        cursor.execute("ROLLBACK TO SAVEPOINT spp_temp_buffers")
    cursor.execute("RELEASE SAVEPOINT spp_temp_buffers")


def _columns(frame: pd.DataFrame) -> list[np.ndarray]:
    """A frame of numbers and ISO days as COPY text columns (nothing there to escape);
    each distinct value is turned into text once."""
    columns = []
    for name in frame.columns:
        codes, uniques = pd.factorize(frame[name], sort=False)
        columns.append(np.asarray([str(u) for u in uniques], dtype=object)[codes])
    return columns


def _copy(cursor, table: str, columns_sql: str, columns: list[np.ndarray]) -> None:
    """COPY text columns into a new temporary table (dropped at commit or rollback).

    The text is built by joining the columns (much faster than DataFrame.to_csv) and sent
    by the psycopg cursor under the Django cursor (same connection, same transaction).
    """
    cursor.execute(f"CREATE TEMP TABLE {table} ({columns_sql}) ON COMMIT DROP")
    if len(columns[0]):
        text = "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"
        with (
            connections[MAINT].wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy,
        ):
            for start in range(0, len(text), COPY_CHUNK):
                copy.write(text[start : start + COPY_CHUNK])
    cursor.execute(f"ANALYZE {table}")


def _replace_days(cursor, report: ImportReport) -> set[int]:
    """Replace the stored rows of every (team, day) of the file whose content differs."""
    # Each (team, day) of the file against the stored one: new, the same rows, or to be
    # replaced. "The same" compares the row count and two order-free sums of row hashes
    # (a multiset fingerprint): an exact comparison of a million rows sorts far too much.
    row = "concat_ws(chr(31), {t}.product_id, {t}.version, {t}.user_key, {t}.feature, {t}.tokens)"
    cursor.execute(
        f"""
        CREATE TEMP TABLE {PAIRS} ON COMMIT DROP AS
        WITH file AS (
            SELECT s.team_id, s.day, count(*) AS rows,
                   sum(hashtext({row.format(t="s")})) AS h1,
                   sum(hashtext({row.format(t="s")} || '~')) AS h2
            FROM {STAGE} s GROUP BY s.team_id, s.day
        ), stored AS (
            SELECT u.team_id, u.day, count(*) AS rows,
                   sum(hashtext({row.format(t="u")})) AS h1,
                   sum(hashtext({row.format(t="u")} || '~')) AS h2
            FROM usage_usagerow u JOIN file f ON f.team_id = u.team_id AND f.day = u.day
            GROUP BY u.team_id, u.day
        )
        SELECT f.team_id, f.day, coalesce(s.rows, 0) AS stored,
               CASE WHEN s.rows IS NULL THEN 'new'
                    WHEN (s.rows, s.h1, s.h2) = (f.rows, f.h1, f.h2) THEN 'same'
                    ELSE 'replaced' END AS state
        FROM file f LEFT JOIN stored s ON s.team_id = f.team_id AND s.day = f.day
        """
    )
    cursor.execute(f"DELETE FROM {PAIRS} WHERE state = 'same'")
    same = cursor.rowcount
    cursor.execute(f"SELECT state, count(*) FROM {PAIRS} GROUP BY state")
    states = dict(cursor.fetchall())
    report.touch("team-day")
    report.count("team-day", "created", states.get("new", 0))
    report.count("team-day", "updated", states.get("replaced", 0))
    report.count("team-day", "unchanged", same)
    report.touch("usage row", ("created", "deleted"))
    if not states:
        return set()
    cursor.execute(f"ANALYZE {PAIRS}")

    def changed(staged: str) -> str:
        """The staged rows of the (team, day) pairs to write (all of them when none is
        unchanged: then the join would only cost a sort)."""
        if not same:
            return f"{staged} s"
        return f"{staged} s JOIN {PAIRS} p ON p.team_id = s.team_id AND p.day = s.day"

    if "replaced" in states:
        cursor.execute(
            f"DELETE FROM usage_usagerow u USING {PAIRS} p "
            "WHERE u.team_id = p.team_id AND u.day = p.day"
        )
        report.count("usage row", "deleted", cursor.rowcount)
    # The staged rows are in (team, day) order: a day's rows land together on disk.
    cursor.execute(
        f"""
        INSERT INTO usage_usagerow (team_id, day, product_id, version, user_key, feature, tokens)
        SELECT s.team_id, s.day, s.product_id, s.version, s.user_key, s.feature, s.tokens
        FROM {changed(STAGE)}
        """
    )
    report.count("usage row", "created", cursor.rowcount)
    # Roll-ups of the replaced pairs go, even where the file leaves nothing to put back.
    for table in ("usage_usagedailyproduct", "usage_usagedaily"):
        cursor.execute(
            f"DELETE FROM {table} t USING {PAIRS} p WHERE t.team_id = p.team_id AND t.day = p.day"
        )
    cursor.execute(
        f"""
        INSERT INTO usage_usagedailyproduct (team_id, day, product_id, tokens, users)
        SELECT s.team_id, s.day, s.product_id, s.tokens, s.users
        FROM {changed(STAGE_DAILY_PRODUCT)}
        """
    )
    later = _daily_with_running_totals(cursor, changed(STAGE_DAILY))
    if later:
        report.note(f"running totals updated on {later} later days")
    rebuild_monthly(cursor, f"SELECT DISTINCT team_id, day FROM {PAIRS}")
    cursor.execute(f"SELECT DISTINCT team_id FROM {PAIRS}")
    return {team for (team,) in cursor.fetchall()}


def rebuild_monthly(cursor, team_days: str) -> None:
    """Rebuild the monthly roll-ups of every (team, month) holding a (team_id, day) row of
    the query `team_days`: per user (usage_usagemonthlyuser: tokens and a day bit mask per
    team, month, product, version, feature and user) from the stored rows, per product
    (usage_usagemonthlyproduct) from the daily product roll-up. The import passes the
    (team, day) pairs it wrote: a month's bit masks cannot be patched for one replaced day,
    and a month is at most 31 days of one team's rows. Benchmarks that write usage in bulk
    call it too."""
    months = (
        "SELECT DISTINCT team_id, date_trunc('month', day)::date AS month "
        f"FROM ({team_days}) AS written"
    )
    in_month = "u.day >= m.month AND u.day < (m.month + interval '1 month')::date"
    day_bit = "(1 << (extract(day FROM u.day)::int - 1))"
    for table in ("usage_usagemonthlyuser", "usage_usagemonthlyproduct"):
        cursor.execute(
            f"DELETE FROM {table} t USING ({months}) m "
            "WHERE t.team_id = m.team_id AND t.month = m.month"
        )
    cursor.execute(
        f"""
        INSERT INTO usage_usagemonthlyuser
            (team_id, month, product_id, version, feature, user_key, tokens, days)
        SELECT u.team_id, m.month, u.product_id, u.version, u.feature, u.user_key,
               sum(u.tokens), bit_or({day_bit})
        FROM usage_usagerow u
        JOIN ({months}) m ON m.team_id = u.team_id AND {in_month}
        GROUP BY u.team_id, m.month, u.product_id, u.version, u.feature, u.user_key
        """
    )
    cursor.execute(
        f"""
        INSERT INTO usage_usagemonthlyproduct (team_id, month, product_id, tokens, days)
        SELECT u.team_id, m.month, u.product_id, sum(u.tokens),
               bit_or(CASE WHEN u.tokens > 0 THEN {day_bit} ELSE 0 END)
        FROM usage_usagedailyproduct u
        JOIN ({months}) m ON m.team_id = u.team_id AND {in_month}
        GROUP BY u.team_id, m.month, u.product_id
        """
    )


def _daily_with_running_totals(cursor, fresh: str) -> int:
    """Insert the new daily roll-ups (from `fresh`) and bring every later day's running
    total (cum_tokens) up to date, in one statement: a window sum over the team's days from
    its first replaced day, on top of the running total of the day before. Days whose total
    does not change are not rewritten. Returns the number of later days rewritten."""
    cursor.execute(
        f"""
        WITH first AS (
            SELECT team_id, min(day) AS day FROM {PAIRS} GROUP BY team_id
        ), base AS (
            SELECT f.team_id, f.day AS first_day, coalesce((
                SELECT d.cum_tokens FROM usage_usagedaily d
                WHERE d.team_id = f.team_id AND d.day < f.day
                ORDER BY d.day DESC LIMIT 1
            ), 0) AS cum_before
            FROM first f
        ), series AS (
            SELECT s.team_id, s.day, s.tokens, s.users, NULL::bigint AS id,
                   NULL::bigint AS old_cum
            FROM {fresh}
            UNION ALL
            SELECT d.team_id, d.day, d.tokens, d.users, d.id, d.cum_tokens
            FROM usage_usagedaily d JOIN base b ON b.team_id = d.team_id AND d.day >= b.first_day
        ), running AS (
            SELECT s.*, (b.cum_before
                   + sum(s.tokens) OVER (PARTITION BY s.team_id ORDER BY s.day))::bigint AS cum
            FROM series s JOIN base b ON b.team_id = s.team_id
        ), inserted AS (
            INSERT INTO usage_usagedaily (team_id, day, tokens, cum_tokens, users)
            SELECT team_id, day, tokens, cum, users FROM running WHERE id IS NULL
            RETURNING 1
        ), updated AS (
            UPDATE usage_usagedaily d SET cum_tokens = r.cum
            FROM running r
            WHERE r.id IS NOT NULL AND d.id = r.id AND r.old_cum <> r.cum
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated)
        """
    )
    _, updated = cursor.fetchone()
    return updated
