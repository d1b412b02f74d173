"""What an offer request can be about, where and in which language: one place to add more."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

CATEGORIES = [
    ("website", _("Website creation")),
    ("online_shop", _("Online shop")),
    ("migration", _("Migration to our services")),
    ("mail_setup", _("Mail set-up")),
    ("domains", _("Domain management")),
    ("development", _("Development")),
    ("consulting", _("Consulting")),
]

REGIONS = [
    ("ch-fr", _("French-speaking Switzerland")),
    ("ch-de", _("German-speaking Switzerland")),
    ("ch-it", _("Italian-speaking Switzerland")),
    ("fr", _("France")),
    ("it", _("Italy")),
    ("de", _("Germany")),
    ("be", _("Belgium")),
]

LANGUAGES = [
    ("en", _("English")),
    ("it", _("Italian")),
    ("fr", _("French")),
    ("de", _("German")),
]

BUDGETS = [
    ("lt-1k", _("Less than CHF 1,000")),
    ("1k-5k", _("CHF 1,000 to 5,000")),
    ("5k-20k", _("CHF 5,000 to 20,000")),
    ("gt-20k", _("More than CHF 20,000")),
    ("unknown", _("I do not know yet")),
]

DEFAULT_VALIDITY_DAYS = 30
MAX_VALIDITY_DAYS = 90
