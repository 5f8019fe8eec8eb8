"""Celery tasks of the Flex engine. Thin: the work is in flex.services."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from celery import chord, shared_task
from django.db import transaction

from flex import services
from spp.dates import business_date


def _as_of(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@shared_task(name="flex.tasks.recompute_all")
def recompute_all(as_of: str | None = None) -> dict:
    """The nightly recompute (beat, D = today): one task per chunk, so that every worker
    process takes a share, and a last task that marks the run finished. D is fixed here,
    so chunks that run after midnight agree."""
    day = _as_of(as_of) or business_date()
    run = services.start_run(day)
    chunks = list(services.team_chunks())
    if not chunks:
        services.finish_run(run.pk, 0, 0)
    else:
        chord(recompute_chunk.s(chunk, day.isoformat()) for chunk in chunks)(finish_run.s(run.pk))
    return {"as_of": day.isoformat(), "chunks": len(chunks)}


@shared_task(name="flex.tasks.recompute_chunk")
def recompute_chunk(team_pks: list[int], as_of: str) -> list[int]:
    result = services.recompute(_as_of(as_of), team_pks)
    return [result.teams, result.snapshots]


@shared_task(name="flex.tasks.finish_run")
def finish_run(parts: list[list[int]], run_pk: int) -> None:
    services.finish_run(run_pk, sum(p[0] for p in parts), sum(p[1] for p in parts))


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
