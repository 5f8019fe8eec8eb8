"""The operator's data feeds (SPEC §12): `import_file(kind, path)`.

Every kind reads a .csv or .xlsx file, validates every row, and writes only when no row
is bad, through the maintenance alias in one transaction; a dry run does the same work
and rolls it back, so that it reports exactly what the import would do. After a real
import that changed packs, events or usage, the affected teams are recomputed (now, or
queued to Celery).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from django.db import DatabaseError, transaction

from usage.imports import (
    partners,
    product_rates,
    purchases,
    sessions,
    subscriptions,
    teams,
    token_events,
    usage,
)
from usage.imports.common import MAINT
from usage.imports.reader import FileError, Table, read_table
from usage.imports.report import ImportReport, RowError

__all__ = ["KINDS", "RECOMPUTE", "ImportReport", "RowError", "import_file"]

logger = logging.getLogger("spp.imports")

# kind -> module with COLUMNS and run(table, report) -> team pks to recompute.
KINDS: dict[str, ModuleType] = {
    "partners": partners,
    "teams": teams,
    "purchases": purchases,
    "token_events": token_events,
    "usage": usage,
    "product_rates": product_rates,
    "sessions": sessions,
    "subscriptions": subscriptions,
}
RECOMPUTE = ("now", "queue", "none")
# One import at a time: kinds read what others write (packs need teams and partners).
LOCK_KEY = 0x5350_5049  # "SPPI"


class _Refused(Exception):
    """Leaves the transaction so that it rolls back."""


def import_file(
    kind: str,
    path: str | Path,
    *,
    dry_run: bool = False,
    user=None,
    recompute: str = "now",
    name: str | None = None,
) -> ImportReport:
    """Import one feed file; `name` is the file name to report (uploads keep theirs)."""
    path = Path(path)
    file_name = name or path.name
    report = ImportReport(kind=kind, file_name=file_name, dry_run=dry_run, recompute=recompute)
    if recompute not in RECOMPUTE:
        raise ValueError(f"recompute must be one of {RECOMPUTE}, not {recompute!r}")
    handler = KINDS.get(kind)
    if handler is None:
        report.file_errors.append(f"unknown kind {kind!r} (one of: {', '.join(KINDS)})")
        return report
    try:
        content = path.read_bytes()
    except OSError as exc:
        report.file_errors.append(f"cannot read the file: {exc.strerror or exc}")
        return report
    try:
        table = read_table(content, file_name)
    except FileError as exc:
        report.file_errors.append(str(exc))
        return report
    report.rows = table.rows
    report.notes.extend(table.notes)
    report.row_errors.extend(table.row_errors)

    teams_to_recompute: set[int] = set()
    try:
        with transaction.atomic(using=MAINT):
            teams_to_recompute = _run(handler, table, report)
            if not report.ok:
                raise _Refused
            if dry_run:
                transaction.set_rollback(True, using=MAINT)
            else:
                report.batch_id = _record(report, content, user)
    except _Refused:
        pass
    except FileError as exc:  # missing columns, found by the kind
        report.file_errors.append(str(exc))
    except DatabaseError as exc:
        logger.exception("import of %s (%s) failed in the database", file_name, kind)
        report.file_errors.append(f"the database refused the import: {exc}".strip())
    if not report.ok:
        return report
    report.teams_affected = len(teams_to_recompute)
    if not dry_run and teams_to_recompute and recompute != "none":
        try:
            report.teams_recomputed = _recompute(sorted(teams_to_recompute), recompute)
        except Exception as exc:  # the import stands; say so, and how to catch up
            logger.exception("recompute after the import of %s failed", file_name)
            report.recompute_error = (
                f"The import was saved, but the Flex recompute of {len(teams_to_recompute)} "
                f"teams failed ({exc}); run `manage.py recompute_flex`."
            )
    return report


def _run(handler: ModuleType, table: Table, report: ImportReport) -> set[int]:
    from django.db import connections

    with connections[MAINT].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    run: Callable[[Table, ImportReport], set[int]] = handler.run
    return run(table, report)


def _record(report: ImportReport, content: bytes, user) -> int:
    from usage.models import ImportBatch

    batch = ImportBatch.objects.using(MAINT).create(
        kind=report.kind,
        file_name=report.file_name[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        rows=report.rows,
        summary=report.as_dict(),
        created_by_id=getattr(user, "pk", None),
    )
    return batch.pk


def _recompute(team_pks: list[int], mode: str) -> int:
    """After commit: the command recomputes at once (so that an export that follows sees
    fresh figures); the admin queues it to Celery."""
    if mode == "queue":
        from flex.tasks import queue_recompute

        queue_recompute(team_pks, using=MAINT)
        return len(team_pks)
    from flex.services import recompute_teams

    return recompute_teams(team_pks)
