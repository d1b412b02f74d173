"""Texts of Django's own in our catalogues, which Django reads before its own.

Month and weekday names: Django's Italian catalogue capitalises them ("Dicembre", "Mercoledì");
Italian, like French and Spanish, writes them in lowercase. The admin's index: Django has no
Italian for a few of its texts. Naming them here puts them in `makemessages`' extraction, so each
language's catalogue gives the form its readers expect. Nothing imports this module.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

MONTHS = [
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
]
WEEKDAYS = [
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    gettext_noop("Sunday"),
]

# Django's admin (5.2) has no Italian for these texts of its index page, read by support staff
# and by screen readers; our catalogues give them one in every language.
ADMIN = [
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Breadcrumbs"),
]
