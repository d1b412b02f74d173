"""German as written in Switzerland: Django's German dates ("4. Dezember 2026", 04.12.2026) and
Swiss amounts (portal/formats/swiss.py)."""

from __future__ import annotations

from portal.formats.swiss import DECIMAL_SEPARATOR, NUMBER_GROUPING, THOUSAND_SEPARATOR

DATETIME_FORMAT = "j. F Y, H:i"

__all__ = ["DATETIME_FORMAT", "DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR"]
