# ruff: noqa: RUF002 - the look-alike letters this module is about are named in its docstring.
"""Email addresses as the portal compares them: one canonical form, and the rule on new ones.

An address is a login and a look-up key (accounts, invitations, rate limits), so two spellings
that a person cannot tell apart must either be the same key or be refused. Lower-casing alone is
not enough: PostgreSQL's UPPER() maps the dotless "ı" to "I" and the long "ſ" to "S", so a
case-insensitive look-up found alice's account from "alıce@example.com" while the rate limits,
keyed on the typed text, counted it apart; on SQLite the same text signed up a second account.

So every address is brought to one form before it is stored, looked up or counted:
- Unicode NFKC, then case folding (full-width "ａｌｉｃｅ" and "ſ" become "alice" and "s");
- the domain in its IDNA (punycode) form, lower-case, the form Django sends mail to, so
  "münchen.de" and "xn--mnchen-3ya.de" are one domain;
- and a new address must have an ASCII local part (the part before the @): what is left
  outside ASCII after folding ("ı", "é", Cyrillic "а") is exactly what looks like another
  address. Stored addresses are therefore plain ASCII, and look-ups are exact.
"""

from __future__ import annotations

import contextlib
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.encoding import punycode
from django.utils.translation import gettext as _


def _fold(text: str) -> str:
    # NFKC around case folding (Unicode's NFKC_Casefold, without its removal of ignorables):
    # folding can produce characters that NFKC composes again.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def canonical_email(address: str | None) -> str:
    """The form every address is stored, looked up and rate-limited in. Never raises: sign-in
    and password reset use it on whatever was typed, and something that is not a valid address
    simply matches nothing."""
    folded = _fold((address or "").strip())
    local, at, domain = folded.rpartition("@")
    if not at:
        return folded
    # A domain IDNA cannot encode (an empty or too long label) stays as folded: no account has
    # it, and the form fields refuse it before anything is stored.
    with contextlib.suppress(UnicodeError):
        domain = punycode(domain).lower()
    return f"{local}@{domain}"


def validate_ascii_local_part(address: str) -> None:
    """Refuse an address whose part before the @ is not ASCII once folded: for new addresses
    only (sign-up, invitation, reset request, staff editing an account), never for sign-in."""
    local = canonical_email(address).rpartition("@")[0]
    if not local.isascii():
        raise ValidationError(
            _(
                "The part before the @ can contain only letters without accents (a to z), "
                "digits and signs such as dots, hyphens and plus signs."
            ),
            code="email_local_part_not_ascii",
        )
