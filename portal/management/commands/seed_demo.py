from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal import demo


class Command(BaseCommand):
    help = "Create the demo organizations and logins of DESIGN.md (once)."

    def handle(self, *args: Any, **options: Any) -> None:
        if demo.seed():
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        else:
            self.stdout.write("Demo data exists already; nothing changed.")
