"""sessions: team_id, user, product, version, machine, start, end -> usage.SessionLog.

A customer's application session logs (SPEC §11, §12), the input of the independent
metering. Users and machines are stored as keyed hashes, never as written (a machine name
is often a person's name). Products are the catalog's, by name or alias (case does not
matter); an unknown product is a bad row, never a new product: a typo in a log must not
grow the catalog.

A session is identified by (team, user, product, version, machine, start): the same file
twice changes nothing, and a session delivered again with another end (a log cut while
the application was still open) is updated. In one file, the same session with two ends,
or two sessions of the same user, product, version and machine that overlap in time, are
bad rows: one of them is a duplicate and the metering cannot tell which.

Start and end are ISO timestamps with a zone (`2026-03-02T08:14:00Z`,
`2026-03-02T09:14:00+01:00`); a timestamp without a zone is refused rather than guessed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from usage.imports import common
from usage.imports import values as v
from usage.imports.common import MAINT, RowCheck
from usage.imports.pseudonym import secret, user_key
from usage.imports.reader import Column, Row, Table
from usage.imports.report import ImportReport, RowError

COLUMNS = (
    Column("team_id", ("team", "context_id")),
    Column("user", ("email", "user_id", "user_name", "hashed_user_id", "hashed_autodesk_id")),
    Column("product", ("product_name",)),
    Column("version"),
    Column("machine", ("machine_name", "machine_id", "host", "hostname", "computer")),
    Column("start", ("start_time", "started_at", "session_start", "launch_time")),
    Column("end", ("end_time", "ended_at", "session_end", "close_time")),
)
# A longer session is a broken log line (a year typed wrong), not a real session.
MAX_SESSION = timedelta(days=31)
BATCH = 5000


def machine_key(value: str, key: bytes | None = None) -> str:
    """HMAC-SHA256 (hex) of the stripped, lower-cased machine name. Prefixed so that a
    machine named like a user's e-mail never shares that user's pseudonym."""
    text = "machine:" + value.strip().lower()
    return hmac.new(key or secret(), text.encode(), hashlib.sha256).hexdigest()


def parse_timestamp(value: str, label: str) -> datetime:
    """An ISO timestamp with a zone (Z or an offset), returned in UTC."""
    v.required(value, label)
    text = value.replace(" ", "T", 1) if " " in value and "T" not in value else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise v.BadValue(
            f"{label}: bad timestamp {value!r} (expected ISO 8601 such as 2026-03-02T08:14:00Z)"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise v.BadValue(
            f"{label}: no time zone in {value!r} (add Z for UTC or an offset such as +01:00)"
        )
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class SessionRecord:
    line: int
    team: int  # team pk
    user_key: str
    product: int  # product pk
    version: str
    machine_key: str
    start: datetime  # UTC
    end: datetime  # UTC

    @property
    def identity(self) -> tuple:
        return (self.team, self.user_key, self.product, self.version, self.machine_key, self.start)

    @property
    def stream(self) -> tuple:
        """One user running one version of one product on one machine: never twice at once."""
        return (self.team, self.user_key, self.product, self.version, self.machine_key)


def _check_row(
    row: Row, teams: dict[str, int], catalog: dict[str, int], key: bytes
) -> tuple[SessionRecord | None, RowCheck]:
    check = RowCheck(row)
    team = common.known_team(check, teams)
    user = check(v.required, "user")
    product = common.catalog_product(check, catalog)
    version = check(v.max_length, "version", 40)
    machine = check(v.required, "machine")
    start = check(parse_timestamp, "start")
    end = check(parse_timestamp, "end")
    if start is not None and end is not None:
        if end < start:
            check.fail(f"{row.label('end')}: {row['end']} is before the start ({row['start']})")
        elif end - start > MAX_SESSION:
            check.fail(
                f"{row.label('end')}: the session lasts {(end - start).days} days "
                f"(at most {MAX_SESSION.days}; is a date wrong?)"
            )
    if not check.ok:
        return None, check
    record = SessionRecord(
        line=row.line,
        team=team,
        user_key=user_key(user, key),
        product=product,
        version=version,
        machine_key=machine_key(machine, key),
        start=start,
        end=end,
    )
    return record, check


def validate(
    rows: list[Row], teams: dict[str, int], catalog: dict[str, int]
) -> tuple[list[SessionRecord], list[RowError]]:
    key = secret()
    records: dict[tuple, SessionRecord] = {}
    errors: list[RowError] = []
    for row in rows:
        record, check = _check_row(row, teams, catalog, key)
        first = common.repeat_of(records, record, "end") if record is not None else None
        if first is not None:
            check.fail(
                f"the same session (user, product, version, machine and start) is on line "
                f"{first.line} with another end ({first.end:%Y-%m-%d %H:%M:%S}Z ≠ "
                f"{record.end:%Y-%m-%d %H:%M:%S}Z)"
            )
        errors.extend(check.errors)
    # Sessions of one user, product, version and machine that overlap in time: one of them
    # is a duplicate. The later line is reported, naming the earlier one.
    overlaps = common.overlapping(records.values(), lambda r: r.stream, lambda r: (r.start, r.end))
    errors.extend(
        RowError(
            later.line,
            f"overlaps the session on line {first.line} (same user, product, version and "
            "machine at the same time: a duplicate)",
        )
        for first, later in overlaps
    )
    return list(records.values()), errors


def run(table: Table, report: ImportReport) -> set[int]:
    return common.import_team_products(table, report, COLUMNS, validate, write)


def write(records: list[SessionRecord], report: ImportReport) -> None:
    from usage.models import SessionLog

    report.touch("session")
    if not records:
        return
    stored: dict[tuple, tuple[int, datetime]] = {}
    by_team: dict[int, list[SessionRecord]] = defaultdict(list)
    for record in records:
        by_team[record.team].append(record)
    for team, team_records in by_team.items():
        first = min(r.start for r in team_records)
        last = max(r.start for r in team_records)
        existing = SessionLog.objects.using(MAINT).filter(
            team_id=team, start__gte=first, start__lte=last
        )
        for pk, *identity, end in existing.values_list(
            "pk", "team_id", "user_key", "product_id", "version", "machine_key", "start", "end"
        ):
            stored[tuple(identity)] = (pk, end)
    common.save_by_identity(
        SessionLog, records, stored, "end", _session_log, report, "session", BATCH
    )


def _session_log(record: SessionRecord):
    from usage.models import SessionLog

    return SessionLog(
        team_id=record.team,
        user_key=record.user_key,
        product_id=record.product,
        version=record.version,
        machine_key=record.machine_key,
        start=record.start,
        end=record.end,
    )
