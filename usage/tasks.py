"""Celery tasks of the usage app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="usage.tasks.import_feed")
def import_feed(job_id: str, kind: str, path: str, dry_run: bool, user_id: int, name: str) -> None:
    """A feed upload too big for the web request (usage.upload_jobs.start queues it)."""
    from usage import upload_jobs

    upload_jobs.run(job_id, kind, path, dry_run, user_id, name)
