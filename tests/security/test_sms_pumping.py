"""SMS pumping (issue 12, finding 8): only mobile numbers are texted, and every SMS spends from
budgets per account, per address, per number and for the whole portal; a number is kept only
once a code reached it."""

from __future__ import annotations

import ast
import logging
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from core import sms
from security.models import SMSDevice
from tests.conftest import signed_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SWISS_MOBILE = "+41 79 123 45 67"
ADD_URL = "/security/two-factor/sms/"


@pytest.fixture(autouse=True)
def _sms_folder(settings: Any, tmp_path: Path) -> None:
    settings.SMS_DIR = tmp_path / "sms"


def sent_count() -> int:
    folder = Path(settings.SMS_DIR)
    return len(list(folder.glob("*.txt"))) if folder.exists() else 0


def person_at(ip: str) -> tuple[User, Client]:
    user = UserFactory.create()
    client = signed_in(user)
    client.defaults["REMOTE_ADDR"] = ip
    return user, client


@pytest.mark.parametrize(
    "phone",
    [
        "+41 900 123 456",  # Swiss premium rate
        "+49 900 1234567",  # German premium rate
        "+33 8 99 12 34 56",  # French premium rate
        "+32 902 12 345",  # Belgian premium rate
        "+41 848 123 456",  # Swiss shared cost
        "+41 800 123 456",  # Swiss toll free
        "+41 44 668 18 00",  # a Zurich landline
        "+33 1 42 68 53 00",  # a Paris landline
    ],
)
def test_numbers_that_are_not_mobiles_are_refused_and_not_texted(
    as_alice: Client, alice: User, phone: str
) -> None:
    response = as_alice.post(ADD_URL, {"phone": phone})

    assert response.status_code == 200
    assert "Enter a mobile number: SMS codes cannot be sent to this number." in (
        response.content.decode()
    )
    assert not SMSDevice.objects.filter(user=alice).exists()
    assert sent_count() == 0


@pytest.mark.parametrize("phone", [SWISS_MOBILE, "+33 6 12 34 56 78", "+49 151 23456789"])
def test_mobile_numbers_are_accepted(as_alice: Client, alice: User, phone: str) -> None:
    response = as_alice.post(ADD_URL, {"phone": phone})

    assert response.status_code == 302
    assert SMSDevice.objects.filter(user=alice).exists()
    assert sent_count() == 1


def test_a_refused_send_keeps_no_number(as_alice: Client, alice: User, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sms-send": (0, 600)}

    response = as_alice.post(ADD_URL, {"phone": SWISS_MOBILE})

    assert response.status_code == 200  # the form again, with the number typed and why
    page = response.content.decode()
    assert "Too many attempts." in page
    assert 'value="+41 79 123 45 67"' in page
    assert not SMSDevice.objects.exists()
    assert sent_count() == 0


def test_a_failed_gateway_keeps_no_number(
    as_alice: Client, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(to: str, text: str) -> None:
        raise sms.SmsError("gateway down")

    monkeypatch.setattr(sms, "_write_file", fail)

    response = as_alice.post(ADD_URL, {"phone": SWISS_MOBILE})

    assert response.status_code == 200
    assert "The SMS could not be sent." in response.content.decode()
    assert not SMSDevice.objects.exists()


def test_one_number_gets_a_few_texts_an_hour_whoever_asks() -> None:
    per_number, _window = settings.RATE_LIMITS["sms-number"]
    for n in range(per_number + 1):
        _user, client = person_at(f"192.0.2.{n + 1}")
        client.post(ADD_URL, {"phone": SWISS_MOBILE})

    assert sent_count() == per_number
    assert SMSDevice.objects.count() == per_number


def test_one_address_sends_a_few_texts_an_hour_over_all_accounts() -> None:
    per_address, _window = settings.RATE_LIMITS["sms-address"]
    for n in range(per_address + 1):
        _user, client = person_at("192.0.2.50")
        client.post(ADD_URL, {"phone": f"+41 79 123 45 {n + 10:02d}"})

    assert sent_count() == per_address


def test_the_portal_wide_budget_stops_sending_and_alerts_once(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sms-global": (3, 3600)}
    caplog.set_level(logging.WARNING, logger="core.sms")
    for n in range(5):
        _user, client = person_at(f"192.0.2.{n + 1}")
        response = client.post(ADD_URL, {"phone": f"+41 79 123 45 {n + 10:02d}"})

    assert sent_count() == 3
    assert "SMS codes cannot be sent right now." in response.content.decode()
    alerts = [r for r in caplog.records if "SMS budget of the portal" in r.getMessage()]
    assert len(alerts) == 1
    assert "+41" not in alerts[0].getMessage()  # no number in the logs


def test_only_the_budgeted_function_reaches_the_gateway() -> None:
    """Every SMS goes through `core.sms.send`, which spends the number's and the portal's
    budgets before the gateway: nothing else may call the gateway's transports."""
    root = Path(settings.BASE_DIR)
    callers = []
    for path in root.glob("*/**/*.py"):
        if path.parts[len(root.parts)] in {".venv", "tests", "bench"}:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                if name in {"_send_http", "_write_file", "_transmit_sms"}:
                    callers.append(str(path.relative_to(root)))

    assert set(callers) == {"core/sms.py"}


def test_strangers_setting_up_alices_number_leave_her_sign_in_codes_working(
    alice: User,
) -> None:
    """The per-number budget must not become a lockout: set-ups of a number nobody proved yet
    are counted apart from codes to a number its owner confirmed."""
    from security.models import SMSDevice as Device
    from security.sms import send_code

    owned = Device.objects.create(
        user=alice, name="Alice", confirmed=True, phone_number="+41791234567"
    )
    per_number, _window = settings.RATE_LIMITS["sms-number"]
    for n in range(per_number + 1):
        _user, client = person_at(f"192.0.2.{n + 1}")
        client.post(ADD_URL, {"phone": SWISS_MOBILE})

    assert send_code(owned) is None  # her sign-in code still goes out
