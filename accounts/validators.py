"""Password rules beyond Django's: a generous upper bound and words of our own domain, and Django's
minimum length with its messages in our catalogues (Django's Italian catalogue lacks them)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Words people reach for when asked for a password on a hosting portal. A password made only of
# these (with digits and punctuation around them) is refused; a long passphrase that contains one
# among other words is fine.
DOMAIN_WORDS = frozenset(
    {
        "portal",
        "hosting",
        "webhosting",
        "manager",
        "admin",
        "administrator",
        "domain",
        "domains",
        "website",
        "webmail",
        "email",
        "mail",
        "kauth",
        "kdrive",
        "cloud",
        "server",
        "password",
        "passwort",
        "motdepasse",
        "welcome",
        "benvenuto",
        "hosting2026",
        "acme",
        "infomaniak",
        "newsletter",
        "customer",
        "cliente",
        "support",
        "login",
        "qwerty",
    }
)


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule, with the error and the help text translated by our own catalogues: Django's
    Italian catalogue has no translation for them, so Italian pages showed them in English."""

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %(min)d character.",
            "This password is too short. It must contain at least %(min)d characters.",
            self.min_length,
        ) % {"min": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "At least %(min)d character.", "At least %(min)d characters.", self.min_length
        ) % {"min": self.min_length}


class MaximumLengthValidator:
    """Accept long passphrases but refuse absurd input that would only cost hashing time."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most %(max)d character.",
                    "This password is too long. It must contain at most %(max)d characters.",
                    self.max_length,
                )
                % {"max": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return ngettext(
            "At most %(max)d character.", "At most %(max)d characters.", self.max_length
        ) % {"max": self.max_length}


class DomainWordsValidator:
    """Refuse passwords that are only words of our domain, padded with digits and symbols."""

    def validate(self, password: str, user: Any = None) -> None:
        words = [w for w in re.split(r"[^a-z]+", password.lower()) if w]
        if words and all(w in DOMAIN_WORDS for w in words):
            raise ValidationError(
                _("This password is made only of words that are easy to guess here."),
                code="password_domain_words",
            )

    def get_help_text(self) -> str:
        return _("Not only words like the name of this service.")
