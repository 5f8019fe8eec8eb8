"""Background job status and job folders (spp.jobs)."""

from __future__ import annotations

import os
import time

from spp import jobs


def test_old_job_folders_go_and_recent_ones_stay(tmp_path):
    old, recent = tmp_path / "old", tmp_path / "recent"
    for folder in (old, recent):
        folder.mkdir()
        (folder / "file.csv").write_text("x")
    day_and_more = time.time() - jobs.TTL - 60
    os.utime(old, (day_and_more, day_and_more))
    jobs.remove_old_folders(tmp_path)
    assert not old.exists() and recent.exists()
    jobs.remove_old_folders(tmp_path / "missing")  # nothing to clean: no error


def test_a_job_status_merges_changes_and_refuses_what_is_not_a_job_id():
    job_id = jobs.new_id()
    assert jobs.JOB_ID.fullmatch(job_id)
    jobs.save("test-kind", job_id, state="queued", kind="usage")
    jobs.save("test-kind", job_id, state="done")
    assert jobs.status("test-kind", job_id) == {"state": "done", "kind": "usage"}
    assert jobs.status("other-kind", job_id) is None
    for bad in ("", "../x", "x" * 31, "x" * 33, "a b" + "c" * 29):
        assert jobs.status("test-kind", bad) is None
