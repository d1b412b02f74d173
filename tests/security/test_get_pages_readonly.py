"""No state change on GET (ARCHITECTURE.md rule 6) for the security app's pages: every page, as a
person with methods of each kind, while signing in, and as staff in the review queue."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from security import kauth
from security.methods import public_id
from security.models import (
    EmergencyCodesDevice,
    IdentityVerificationRequest,
    KAuthDevice,
    SMSDevice,
)
from tests.conftest import signed_in, with_authenticator
from tests.factories import PASSWORD
from tests.organizations.test_get_pages_readonly import _session_key, _snapshot

SECURITY_MODULES = {
    "security.views",
    "security.kauth_views",
    "security.kauth_api",
    "security.sms_views",
    "security.webauthn_views",
    "security.review",
}


def _security_pages() -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []

    def walk(patterns: list[Any], namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern) and p.name:
                module = getattr(p.callback, "__module__", "")
                if module in SECURITY_MODULES:
                    found.append((namespace + p.name, list(p.pattern.regex.groupindex)))

    walk(get_resolver().url_patterns, "")
    return sorted(found)


@pytest.fixture
def world(alice: User, acme: Any) -> dict[str, Any]:
    totp = with_authenticator(alice)
    EmergencyCodesDevice.objects.create(user=alice, name="Codes").replace_codes()
    enrollment, code = kauth.do_start_enrollment(alice, name="Phone")
    kauth_device, _credential, _seed = kauth.do_enroll_device(code)  # type: ignore[misc]
    KAuthDevice.objects.filter(pk=kauth_device.pk).update(confirmed=True)
    sms = SMSDevice.objects.create(
        user=alice, name="SMS", phone_number="+41791234567", confirmed=False
    )
    request = IdentityVerificationRequest.objects.create(user=alice, contact_phone="+41")
    return {
        "security:totp-confirm": {"pk": totp.pk},
        "security:kauth-enroll": {"pk": enrollment.pk},
        "security:kauth-move": {"pk": kauth_device.pk},
        "security:kauth-enroll-link": {"code": code},
        "security:sms-confirm": {"pk": sms.pk},
        "security:organization": {"slug": "acme"},
        "security:kauth-api-answer": {
            "public_id": "00000000-0000-0000-0000-000000000000",
            "verb": "approve",
        },
        "method": public_id(totp.persistent_id),
        "request": request,
    }


def _kwargs(name: str, params: list[str], world: dict[str, Any]) -> dict[str, Any]:
    if not params:
        return {}
    if params == ["method"]:
        return {"method": world["method"]}
    if name not in world:
        raise LookupError(f"{name}: no values for {params}; add them to world")
    return dict(world[name])


def test_every_security_get_changes_nothing(alice: User, world: dict[str, Any]) -> None:
    pages = _security_pages()
    assert len(pages) > 15
    visitors = {
        "anonymous": Client(),
        "alice": signed_in(alice, verified=True),
        "signing in": Client(),
    }
    visitors["signing in"].post("/accounts/login/", {"email": alice.email, "password": PASSWORD})
    for who, client in visitors.items():
        for name, params in pages:
            url = reverse(name, kwargs=_kwargs(name, params, world))
            before = _snapshot(_session_key(client))
            response = client.get(url)
            assert response.status_code < 500, (who, url)
            assert _snapshot(_session_key(client)) == before, (who, url)
