"""Celery tasks of the Flex engine. Thin: the work is in flex.services."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from celery import shared_task
from django.db import transaction

from flex import services
from spp.dates import business_date


def _as_of(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@shared_task(name="flex.tasks.recompute_all")
def recompute_all(as_of: str | None = None) -> dict:
    """The nightly recompute (beat, D = today): one task per chunk, so that every worker
    process takes a share. D is fixed here, so chunks that run after midnight agree."""
    day = (_as_of(as_of) or business_date()).isoformat()
    chunks = 0
    for chunk in services.team_chunks():
        recompute_teams.delay(chunk, day)
        chunks += 1
    return {"as_of": day, "chunks": chunks}


@shared_task(name="flex.tasks.recompute_teams")
def recompute_teams(team_pks: list[int], as_of: str | None = None) -> int:
    return services.recompute_teams(team_pks, _as_of(as_of))


def queue_recompute(team_pks: Iterable[int], using: str = "maint") -> None:
    """Recompute these teams once the current transaction on `using` has committed."""
    pks = sorted(set(team_pks))
    if pks:
        transaction.on_commit(lambda: recompute_teams.delay(pks), using=using)


@shared_task(name="flex.tasks.export_flex_list")
def export_flex_list(
    job_id: str, partner_id: int, user_id: int, params: dict[str, str], fmt: str
) -> str:
    """A large Flex list export (flex.export.start_job queues it); returns the file's path."""
    from flex.export import run_job

    return run_job(job_id, partner_id, user_id, params, fmt)
