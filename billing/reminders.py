"""Placeholder until written (issue 5): renewal reminders, exactly once, in digests."""

from __future__ import annotations


def send_due_reminders() -> int:
    return 0
