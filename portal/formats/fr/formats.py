"""French as written in Switzerland: Django's French dates ("4 décembre 2026"), short dates with
dots as in Romandy (04.12.2026) and Swiss amounts (portal/formats/swiss.py)."""

from __future__ import annotations

from portal.formats.swiss import DECIMAL_SEPARATOR, NUMBER_GROUPING, THOUSAND_SEPARATOR

DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"

__all__ = [
    "DATETIME_FORMAT",
    "DECIMAL_SEPARATOR",
    "NUMBER_GROUPING",
    "SHORT_DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "THOUSAND_SEPARATOR",
]
