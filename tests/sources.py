"""The project's own Python packages, for the tests that read the source code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = ["core", "portal", "accounts", "security", "organizations", "billing", "tags"]
PACKAGES += ["tokens", "offers"]


def python_files(packages: list[str] = PACKAGES) -> Iterator[Path]:
    """Every module of `packages`, migrations left out (they are history, not code to hold)."""
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path
