"""Moving kAuth to a new phone: the old phone approves, the new one enrols, the old one goes, and
two-factor authentication is on at every moment."""

from __future__ import annotations

import base64
import re

import pyotp
from django.test import Client

from accounts.models import User
from security import kauth, services
from security.methods import has_two_factor, preferred_method
from security.models import KAuthChallenge, KAuthDevice, KAuthNotice
from tests.conftest import signed_in


def _kauth_device(user: User) -> tuple[KAuthDevice, str]:
    """An enrolled, confirmed kAuth device and its credential."""
    _enrollment, code = kauth.do_start_enrollment(user, name="Old phone")
    enrolled = kauth.do_enroll_device(code)
    assert enrolled is not None
    device, credential, _seed = enrolled
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device, credential


def _approve_pending(device: KAuthDevice) -> None:
    challenge = KAuthChallenge.objects.get(device=device, status="pending")
    assert (
        kauth.do_answer_challenge(
            device, str(challenge.public_id), approve=True, number=challenge.number
        )
        == "approved"
    )


def test_move_to_a_new_phone_keeps_two_factor_on(alice: User) -> None:
    old, old_credential = _kauth_device(alice)
    client: Client = signed_in(alice, verified=True)
    move_url = f"/security/two-factor/kauth/{old.pk}/move/"

    early = client.post(move_url, {"action": "continue"})
    assert "has not approved the move yet" in early.content.decode()

    client.post(move_url, {"action": "push"})
    _approve_pending(old)
    response = client.post(move_url, {"action": "continue"})
    assert response.status_code == 302
    enroll_page = client.get(response["Location"]).content.decode()
    link = re.search(r'id="kauth-link" class="secret" type="text" value="([^"]+)"', enroll_page)
    assert link is not None
    code = link.group(1).rstrip("/").rsplit("/", 1)[-1]
    enrolled = kauth.do_enroll_device(code)
    assert enrolled is not None
    new_device, _credential, seed = enrolled
    assert has_two_factor(alice)  # the old phone still counts while the new one is unconfirmed

    done = client.post(response["Location"], {"code": pyotp.TOTP(_b32(seed)).now()})

    assert done.status_code == 302
    assert not KAuthDevice.objects.filter(pk=old.pk).exists()
    assert KAuthDevice.objects.get(pk=new_device.pk).confirmed
    assert has_two_factor(alice)
    assert kauth.notice_for_credential(old_credential) is not None
    assert KAuthNotice.objects.count() == 1


def test_move_keeps_kauth_the_preferred_method(alice: User) -> None:
    """Issue 13, defect 6: after the move, the sign-in offered the authenticator app first."""
    old, _credential = _kauth_device(alice)
    client: Client = signed_in(alice, verified=True)  # also gives alice an authenticator app
    services.do_set_preferred_method(alice, old, actor=alice)
    new_device, _seed = _move(client, old)

    assert preferred_method(alice) == KAuthDevice.objects.get(pk=new_device.pk)


def _move(client: Client, old: KAuthDevice) -> tuple[KAuthDevice, bytes]:
    move_url = f"/security/two-factor/kauth/{old.pk}/move/"
    client.post(move_url, {"action": "push"})
    _approve_pending(old)
    response = client.post(move_url, {"action": "continue"})
    enroll_page = client.get(response["Location"]).content.decode()
    link = re.search(r'id="kauth-link" class="secret" type="text" value="([^"]+)"', enroll_page)
    assert link is not None
    code = link.group(1).rstrip("/").rsplit("/", 1)[-1]
    enrolled = kauth.do_enroll_device(code)
    assert enrolled is not None
    new_device, _credential, seed = enrolled
    done = client.post(response["Location"], {"code": pyotp.TOTP(_b32(seed)).now()})
    assert done.status_code == 302
    return new_device, seed


def test_move_cannot_start_from_another_users_device(alice: User, bob: User) -> None:
    bobs, _credential = _kauth_device(bob)

    response = signed_in(alice, verified=True).post(
        f"/security/two-factor/kauth/{bobs.pk}/move/", {"action": "push"}
    )

    assert response.status_code == 404
    assert not KAuthChallenge.objects.exists()


def _b32(seed: bytes) -> str:
    return base64.b32encode(seed).decode()
