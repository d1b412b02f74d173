"""Periodic jobs on a fresh start (issue 13, defect 11): beat counted a job it had never run as
if it had just run, so the hourly billing sweep first ran an hour after `portal up` and the daily
token rule a day after. A job never run is due at once; one run before waits for its interval,
from the time the schedule file keeps."""

from __future__ import annotations

from pathlib import Path

from portal.celery import CatchUpScheduler
from portal.celery import app as celery_app


def scheduler(path: Path) -> CatchUpScheduler:
    return CatchUpScheduler(app=celery_app, schedule_filename=str(path), lazy=False)


def test_every_job_is_due_on_a_fresh_start(tmp_path: Path) -> None:
    fresh = scheduler(tmp_path / "schedule")

    due = {name for name, entry in fresh.schedule.items() if entry.is_due().is_due}  # type: ignore[attr-defined]  # a namedtuple in Celery

    assert due == set(celery_app.conf.beat_schedule) | {"celery.backend_cleanup"} & due
    assert {"billing-sweep", "apply-unused-token-rule"} <= due


def test_a_job_run_before_waits_for_its_interval_after_a_restart(tmp_path: Path) -> None:
    first = scheduler(tmp_path / "schedule")
    sweep = first.schedule["billing-sweep"]
    # What beat records when it runs it (private, not in celery-types).
    first.schedule["billing-sweep"] = sweep._next_instance()  # type: ignore[attr-defined]
    first.sync()
    first.close()

    restarted = scheduler(tmp_path / "schedule")

    # is_due() returns a namedtuple (is_due, next); celery-types says a plain tuple.
    assert not restarted.schedule["billing-sweep"].is_due()[0]
    assert restarted.schedule["apply-unused-token-rule"].is_due()[0]  # never run: still due
