"""The status of background jobs (Celery tasks a page or an API client polls: large
exports, large feed uploads), kept in the cache for a day under "<kind>:<job id>"."""

from __future__ import annotations

import re
import secrets
import shutil
import time
from pathlib import Path

from django.core.cache import cache

TTL = 60 * 60 * 24  # seconds a job's status (and its files) are kept
JOB_ID = re.compile(r"[A-Za-z0-9_-]{32}")  # what new_id() makes


def new_id() -> str:
    return secrets.token_urlsafe(24)


def key(kind: str, job_id: str) -> str:
    return f"{kind}:{job_id}"


def status(kind: str, job_id: str) -> dict | None:
    """The job's status, or None for an unknown job — and for anything that is not a job
    id at all, which never reaches the cache (or the file system) as a key."""
    if not JOB_ID.fullmatch(job_id):
        return None
    return cache.get(key(kind, job_id))


def save(kind: str, job_id: str, /, **changes) -> dict:
    """Merge `changes` into the job's status and keep it another TTL."""
    job = cache.get(key(kind, job_id)) or {}
    job.update(changes)
    cache.set(key(kind, job_id), job, TTL)
    return job


def remove_old_folders(root: Path, max_age: int = TTL) -> None:
    """Delete the job folders under `root` older than a job's lifetime (their links
    have expired with the job)."""
    if not root.exists():
        return
    limit = time.time() - max_age
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:
            continue
