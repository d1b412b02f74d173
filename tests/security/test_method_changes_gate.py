"""One gate for every change to the two-factor methods (issue 12, design point): adding a method
(any kind, kAuth included), moving kAuth to a new phone, removing a method and new emergency
codes all need the password typed in the last minutes, in a session that is signed in (and so
passed the second factor at sign-in, when 2FA is on). The page that moves kAuth also asks the
old phone, for continuity (2FA never off), not as a stronger gate: removing it and adding the
new one is open to the same person with the same gate, as the guide describes.

The test walks the URL resolver: a new page under /security/two-factor/ must be put in one of
the two tables below, so nobody adds a way to change the methods without the gate."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

PREFIX = "security/two-factor/"

# Route names that add, replace or remove a way in: the recent-password gate.
GATED: dict[str, dict[str, Any]] = {
    "totp-add": {},
    "totp-confirm": {"pk": 1},
    "sms-add": {},
    "sms-confirm": {"pk": 1},
    "kauth-add": {},
    "kauth-enroll": {"pk": 1},
    "kauth-move": {"pk": 1},
    "security-key-add": {},
    "security-key-options": {},
    "security-key-register": {},
    "method-remove": {"method": "app-1"},
    "emergency-codes-regenerate": {},
}
# Route names that change no way in, and why they need no recent password.
UNGATED = {
    "two-factor": "the overview: lists the methods",
    "emergency-codes-new": "shows once the codes just made by a gated step",
    "method-rename": "a label only the person sees",
    "method-preferred": "which method is offered first; every method still needs its own proof",
}


def route_names_under(prefix: str) -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], path: str) -> None:
        for pattern in patterns:
            full = path + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, full)
            elif full.startswith(prefix) and pattern.name:
                names.add(pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_two_factor_page_is_in_one_table() -> None:
    names = route_names_under(PREFIX)

    assert names - GATED.keys() - UNGATED.keys() == set(), "new page: gate it or say why not"
    assert GATED.keys() & UNGATED.keys() == set()
    assert GATED.keys() | UNGATED.keys() <= names, "a page in the tables no longer exists"


@pytest.mark.parametrize("name", sorted(GATED))
@pytest.mark.parametrize("method", ["get", "post"])
def test_changing_the_methods_needs_a_recent_password(alice: User, name: str, method: str) -> None:
    client: Client = signed_in(alice, recent_password=False)

    response = getattr(client, method)(reverse(f"security:{name}", kwargs=GATED[name]))

    if response.status_code == 405:  # POST-only pages answer GET with 405 before anything else
        assert method == "get"
        return
    assert response.status_code == 302, (name, method, response.status_code)
    assert response["Location"].startswith(reverse("accounts:confirm-password"))
