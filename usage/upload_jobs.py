"""Feed uploads too big to import inside a web request (Django admin).

The file is kept under MEDIA_ROOT/uploads/<job id>/, a Celery task imports it with
`spp_import`'s code, and the upload page polls the job (spp.jobs) until the report —
the same report as for a small upload — is ready. The file goes once imported.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from spp import jobs
from usage.imports import import_file

log = logging.getLogger(__name__)

JOB_KIND = "feed-upload"
# Larger files are imported by a worker: ~100,000 usage rows, some 5 s of import.
INLINE_BYTES = 5 * 1024 * 1024


def uploads_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "uploads"


def save_upload(upload: UploadedFile, folder: Path) -> Path:
    """The upload written to `folder` (its suffix picks the reader)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ("upload" + Path(upload.name).suffix.lower())
    with path.open("wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    return path


def start(*, kind: str, upload: UploadedFile, dry_run: bool, user_id: int) -> str:
    """Keep the file, record a queued job and queue its import after the commit."""
    from usage.tasks import import_feed

    jobs.remove_old_folders(uploads_root())  # files of jobs no worker ever ran
    job_id = jobs.new_id()
    path = save_upload(upload, uploads_root() / job_id)
    name = Path(upload.name).name
    jobs.save(
        JOB_KIND,
        job_id,
        state="queued",
        kind=kind,
        file_name=name,
        size=upload.size,
        dry_run=dry_run,
        report=None,
        error="",
        created=time.time(),
    )
    import_feed.delay_on_commit(job_id, kind, str(path), dry_run, user_id, name)
    return job_id


def status(job_id: str) -> dict | None:
    return jobs.status(JOB_KIND, job_id)


def run(job_id: str, kind: str, path: str, dry_run: bool, user_id: int, name: str) -> None:
    """Import the kept file and store its report in the job; the file goes either way."""
    from spp.models import User

    jobs.save(JOB_KIND, job_id, state="running", started=time.time())
    try:
        user = User.objects.using("maint").filter(pk=user_id).first()
        report = import_file(
            kind, Path(path), dry_run=dry_run, user=user, recompute="queue", name=name
        )
    except Exception as exc:
        log.exception("feed upload job %s failed", job_id)
        jobs.save(JOB_KIND, job_id, state="failed", error=str(exc) or exc.__class__.__name__)
        raise
    finally:
        shutil.rmtree(Path(path).parent, ignore_errors=True)
    jobs.save(JOB_KIND, job_id, state="done", report=report, finished=time.time())
