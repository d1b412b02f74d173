"""No second-factor secret in the database in clear: after enrolling an authenticator app,
saving the emergency codes and signing in with both, every row of every model is read through
the ORM and searched for the seed (base32 as shown, raw bytes as hex) and for every code."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import models
from django.test import Client

from accounts.models import Session, User
from accounts.session_store import SessionStore
from security.models import TOTPDevice
from tests.conftest import signed_in, unescaped_html
from tests.security.helpers import VERIFY_URL, code_at, shown_codes, shown_secret, sign_in

pytestmark = pytest.mark.django_db


def every_stored_value() -> list[tuple[str, str]]:
    """(model.field, value as text) for every concrete field of every row of every model."""
    found: list[tuple[str, str]] = []
    for model in apps.get_models(include_auto_created=True):
        fields = [f for f in model._meta.concrete_fields]
        for row in model._default_manager.all().values_list(*[f.attname for f in fields]):
            for field, value in zip(fields, row, strict=True):
                if value is None:
                    continue
                if isinstance(value, (bytes, memoryview)):
                    value = bytes(value).hex()
                elif isinstance(value, (dict, list)):
                    value = json.dumps(value)
                found.append((f"{model._meta.label}.{field.name}", str(value)))
    return found


def decoded_sessions() -> list[tuple[str, str]]:
    """Session data is only signed, not encrypted: search it as the server reads it."""
    store: Any = SessionStore()
    return [
        ("session (decoded)", json.dumps(store.decode(row.session_data)))
        for row in Session.objects.all()
    ]


def leaks(needles: dict[str, str]) -> list[str]:
    haystack = every_stored_value() + decoded_sessions()
    return [
        f"{what} found in {where}"
        for where, value in haystack
        for what, needle in needles.items()
        if needle.lower() in value.lower()
    ]


def test_no_seed_or_code_in_any_column_after_enrolment_and_use(
    clock: time_machine.Traveller, alice: User
) -> None:
    client = signed_in(alice)
    response = client.post("/security/two-factor/authenticator/", {"name": "Pixel"})
    confirm = response["Location"]
    secret = shown_secret(unescaped_html(client.get(confirm)))
    client.post(confirm, {"code": code_at(secret)})
    codes = shown_codes(unescaped_html(client.get("/security/two-factor/emergency-codes/")))
    assert len(codes) == 10
    client.post("/security/two-factor/emergency-codes/")  # "I have saved my codes"

    # Sign in again with each kind, so that audit rows, emails and sessions exist too.
    clock.shift(60)
    for code, method in ((code_at(secret), None), (codes[0], "emergency")):
        browser = Client()
        sign_in(browser, alice)
        data = {"code": code, **({"method": method} if method else {})}
        assert browser.post(VERIFY_URL, data).status_code == 302
        assert browser.session.get("_auth_user_id") == str(alice.pk)
        clock.shift(60)

    raw_key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    assert raw_key == TOTPDevice.objects.get(user=alice).bin_key
    needles = {"base32 seed": secret, "hex seed": raw_key.hex()}
    for n, code in enumerate(codes):
        needles[f"emergency code {n}"] = code
        needles[f"emergency code {n} without dash"] = code.replace("-", "")
    assert leaks(needles) == []


def test_scan_finds_a_secret_planted_in_a_column(alice: User) -> None:
    """The scan itself can fail: a code written where it should not be is found."""
    User.objects.filter(pk=alice.pk).update(last_name="abcde-fghij")
    assert leaks({"code": "ABCDE-FGHIJ"}) == ["code found in accounts.User.last_name"]


def test_scan_finds_a_secret_in_session_data(alice: User) -> None:
    client = signed_in(alice)
    session = client.session
    session["planted"] = "abcde-fghij"
    session.save()
    assert leaks({"code": "abcde-fghij"}) == ["code found in session (decoded)"]


def test_every_text_model_field_is_scanned() -> None:
    """Guard against a scan that silently reads nothing: the models holding secrets are there."""
    labels = {m._meta.label for m in apps.get_models()}
    assert {"security.TOTPDevice", "security.EmergencyCode", "accounts.Session"} <= labels
    text_fields = [
        f
        for m in apps.get_models()
        for f in m._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField, models.JSONField))
    ]
    assert len(text_fields) > 20
