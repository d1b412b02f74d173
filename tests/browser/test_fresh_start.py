"""A fresh `portal up` (issue 13, defect 11): beat counted a periodic job it had never run as if it
had just run, so the daily token rule first ran a day after start, and the demo's token unused for
eleven months showed no warning. Beat's scheduler (`portal.celery.CatchUpScheduler`) now finds
every never-run job due at start; run what it finds due, as beat does, and the person sees the
outcome on the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from portal import demo
from portal.celery import CatchUpScheduler
from portal.celery import app as celery_app
from tests.browser.test_every_demo_page import sign_in_as

pytestmark = pytest.mark.browser


def run_what_beat_finds_due_at_start(schedule_file: Path) -> set[str]:
    celery_app.loader.import_default_modules()  # the tasks, as a worker registers them
    beat = CatchUpScheduler(app=celery_app, schedule_filename=str(schedule_file), lazy=False)
    due = {name for name, entry in beat.schedule.items() if entry.is_due().is_due}  # type: ignore[attr-defined]  # a namedtuple in Celery
    for name in due & set(celery_app.conf.beat_schedule):
        task = beat.schedule[name].task
        assert task is not None
        celery_app.tasks[task].apply()
    beat.close()
    return due


def test_on_a_fresh_start_the_daily_token_rule_runs_and_alice_sees_its_warning(
    page: Page, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    demo.seed()
    alice = User.objects.get(email="alice@example.com")
    User.objects.filter(pk=alice.pk).update(language="en")
    sign_in_as(page, alice)
    page.goto("/tokens/")
    old_script = page.get_by_role("row").filter(has_text="Old domain script")
    expect(old_script).not_to_contain_text("Unused for 11 months")

    due = run_what_beat_finds_due_at_start(tmp_path / "beat-schedule")

    assert "apply-unused-token-rule" in due
    page.reload()
    expect(old_script).to_contain_text("Unused for 11 months: deactivated on")
