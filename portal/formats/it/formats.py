"""Italian dates as Italian writes them: "4 dicembre 2026", without the leading zero and the weekday
of Django's defaults (the lowercase month comes from core/django_strings.py)."""

from __future__ import annotations

from portal.formats.swiss import DECIMAL_SEPARATOR, NUMBER_GROUPING, THOUSAND_SEPARATOR

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
MONTH_DAY_FORMAT = "j F"

__all__ = [
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "DECIMAL_SEPARATOR",
    "MONTH_DAY_FORMAT",
    "NUMBER_GROUPING",
    "SHORT_DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "THOUSAND_SEPARATOR",
]
