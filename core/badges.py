"""A status shown as a badge: what it says and its tone. Models and checks give their status as a
`Badge` (a property or a function next to the status), and `jinja2/portal/_badge.html` draws
it, so no template compares status strings to choose a colour."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.utils.functional import Promise

Tone = Literal["", "ok", "warn", "danger"]


@dataclass(frozen=True)
class Badge:
    label: str | Promise
    tone: Tone = ""  # "" is the neutral grey badge
