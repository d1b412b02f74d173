"""Settings of the organizations tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def _static_root_exists(settings: Settings) -> None:
    # WhiteNoise warns when the static folder does not exist yet (no collectstatic in tests).
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
