"""Numbers as the provider's Swiss customers write amounts in francs, in German, French and Italian
alike: a decimal point and an apostrophe between thousands (CHF 1'234.50, written with the
typographic apostrophe U+2019). Django's defaults for these languages follow Germany, France and
Italy (1.234,50 or 1 234,50), which a Swiss reader takes for another country's convention.
"""

from __future__ import annotations

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = "\u2019"
NUMBER_GROUPING = 3
