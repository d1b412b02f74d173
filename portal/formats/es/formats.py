"""Spanish: Django's dates ("4 de diciembre de 2026") with a shorter date-and-time, and Spanish
amounts (1.234,50 with a point between thousands rather than Django's non-breaking space)."""

from __future__ import annotations

DATETIME_FORMAT = r"j \d\e F \d\e Y, H:i"
THOUSAND_SEPARATOR = "."
