"""The applications an API token can be made for: one place to add more.

A token reaches the API of its scope and nothing else (enforced in one place, the DRF permission
of the API issue); `read_only` scopes allow only safe methods.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Scope:
    key: str
    label: Promise
    read_only: bool = False


SCOPES: dict[str, Scope] = {
    scope.key: scope
    for scope in [
        Scope("newsletter", _("Newsletter")),
        Scope("domains", _("Domains")),
        Scope("mail", _("Mail")),
        Scope("kdrive", _("kDrive")),
        Scope("products", _("Products and tags")),
        Scope("products-read", _("Products and tags (read-only)"), read_only=True),
        Scope("offers", _("Offer requests (partners)"), read_only=True),
    ]
}


def choices() -> list[tuple[str, Promise]]:
    return [(scope.key, scope.label) for scope in SCOPES.values()]
