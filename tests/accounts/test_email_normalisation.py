# ruff: noqa: RUF001, RUF002, RUF003 - look-alike characters are what this module tests.
"""Email addresses in one canonical form (accounts/addresses.py): issue 11, finding 8.

The attack: PostgreSQL's UPPER() maps "ı" to "I" and "ſ" to "S", so `email__iexact` found
alice's account from "alıce@example.com", counted by the rate limits apart from hers; on SQLite
the same text signed up as a second account that looked like hers. Run this module on PostgreSQL
too (tests/README: DATABASE_URL), where the look-up half of the attack lives.
"""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.addresses import canonical_email, validate_ascii_local_part
from accounts.forms import LoginForm, PasswordResetRequestForm, SignupForm
from accounts.models import User
from core.models import AuditEvent, Notification
from organizations.models import Invitation, Organization, Role
from tests.accounts.helpers import is_signed_in, sign_in
from tests.conftest import page_html, signed_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCAL_PART_ERROR = "The part before the @ can contain only letters without accents"
GENERIC_ERROR = "The email address or the password is not right."

# Addresses a person reads as alice's that are not hers: they keep a non-ASCII letter once
# folded, so they must never reach her account and never become an account of their own.
LOOK_ALIKES = [
    "alıce@example.com",  # dotless i: PostgreSQL's UPPER() makes it ALICE
    "ALİCE@example.com",  # capital I with dot: lower-cases to "i̇", two characters
    "аlice@example.com",  # Cyrillic а
    "alicé@example.com",
]
# Other spellings of alice's own address: Unicode says they are the same text (compatibility
# forms, case), so they are her address, with her password and her limits.
SPELLINGS_OF_ALICE = [
    "ａｌｉｃｅ@example.com",  # full-width letters, as some phone keyboards type them
    "ＡＬＩＣＥ＠ＥＸＡＭＰＬＥ．ＣＯＭ",  # full-width capitals, at sign and dot
    "Alice@EXAMPLE.com",
]


# --- The canonical form ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        (" Alice@Example.COM ", "alice@example.com"),
        ("ａｌｉｃｅ@example.com", "alice@example.com"),
        ("ſupport@example.com", "support@example.com"),  # long s
        ("\u212aate@example.com", "kate@example.com"),  # Kelvin sign
        ("STRASSE@example.com", "strasse@example.com"),
        ("alıce@example.com", "alıce@example.com"),  # no ASCII letter looks like it: stays apart
        ("anna@München.de", "anna@xn--mnchen-3ya.de"),  # IDN domain: the punycode mail goes to
        ("anna@XN--MNCHEN-3YA.DE", "anna@xn--mnchen-3ya.de"),
        ("not an address", "not an address"),
        ("anna@" + "a" * 70 + ".com", "anna@" + "a" * 70 + ".com"),  # IDNA refuses: no error
        ("", ""),
    ],
)
def test_canonical_form(typed: str, canonical: str) -> None:
    assert canonical_email(typed) == canonical


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_non_ascii_local_part_is_refused(address: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_ascii_local_part(address)
    assert refused.value.code == "email_local_part_not_ascii"


@pytest.mark.parametrize("address", ["ſupport@example.com", "anna@münchen.de", *SPELLINGS_OF_ALICE])
def test_address_that_folds_to_ascii_is_accepted(address: str) -> None:
    validate_ascii_local_part(address)


# --- Sign-in: a look-alike matches nothing, a spelling of hers is hers -----------------------


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_look_alike_cannot_sign_in_as_alice(client: Client, alice: User, address: str) -> None:
    response = sign_in(client, address, PASSWORD)

    assert response.status_code == 200
    assert GENERIC_ERROR in page_html(response)
    assert LOCAL_PART_ERROR not in page_html(
        response
    )  # sign-in does not explain, it does not match
    assert not is_signed_in(client)
    # Not even a failure of hers in her security log: the address is not hers.
    assert not AuditEvent.objects.filter(action="user.login_failed").exists()


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_look_alike_finds_no_account(alice: User, address: str) -> None:
    assert User.objects.find_by_email(address) is None
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key(address)


@pytest.mark.parametrize("address", SPELLINGS_OF_ALICE)
def test_spelling_of_alices_address_signs_in_with_her_password(
    client: Client, alice: User, address: str
) -> None:
    assert sign_in(client, address, "not the password at all").status_code == 200
    assert sign_in(client, address, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_long_s_reaches_supports_account_only_as_its_own_address(client: Client) -> None:
    staff = UserFactory.create(email="support@example.com", is_staff=True)
    assert User.objects.find_by_email("ſupport@example.com") == staff
    assert sign_in(client, "ſupport@example.com", PASSWORD).status_code == 302


@pytest.mark.parametrize("address", SPELLINGS_OF_ALICE)
def test_spelling_of_alices_address_shares_her_rate_limit(
    alice: User, clock: time_machine.Traveller, address: str
) -> None:
    # Five wrong guesses through another spelling, from one network ...
    for _ in range(5):
        assert GENERIC_ERROR in page_html(sign_in(Client(), address, "wrong guess", ip="192.0.2.9"))
    # ... use up the account+network limit of the plain address: it is one counter.
    response = sign_in(Client(), "alice@example.com", PASSWORD, ip="192.0.2.9")
    assert "Too many attempts" in page_html(response)


def test_sign_in_form_takes_any_text_without_explaining() -> None:
    form = LoginForm({"email": "alıce@example.com", "password": "x"})
    assert form.is_valid()
    assert form.cleaned_data["email"] == "alıce@example.com"


# --- Sign-up: a look-alike is refused, a spelling of hers is hers ------------------------------


def _sign_up(client: Client, email: str) -> str:
    response = client.post(
        reverse("organizations:signup"),
        {
            "first_name": "Mallory",
            "last_name": "Mimic",
            "email": email,
            "organization_name": "Acme SA",
            "new_password1": "a long passphrase for mallory",
            "new_password2": "a long passphrase for mallory",
        },
    )
    return page_html(response) if response.status_code == 200 else response["Location"]


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_look_alike_cannot_sign_up_as_a_second_alice(
    client: Client, alice: User, address: str
) -> None:
    page = _sign_up(client, address)

    assert LOCAL_PART_ERROR in page
    assert list(User.objects.values_list("email", flat=True)) == ["alice@example.com"]
    assert not Notification.objects.exists()


@pytest.mark.parametrize("address", SPELLINGS_OF_ALICE)
def test_spelling_of_alices_address_signs_up_nobody_and_tells_her(
    client: Client, alice: User, address: str
) -> None:
    assert _sign_up(client, address) == reverse("organizations:signup-sent")

    assert User.objects.count() == 1
    assert Notification.objects.get().kind == "sign_up_attempt"
    assert Notification.objects.get().to == "alice@example.com"


def test_sign_up_stores_the_canonical_address(client: Client) -> None:
    assert _sign_up(client, "Ｍallory@München.DE") == reverse("organizations:signup-sent")
    assert User.objects.get().email == "mallory@xn--mnchen-3ya.de"


def test_sign_up_form_explains_in_the_field() -> None:
    form = SignupForm({"email": "alıce@example.com"})
    assert not form.is_valid()
    assert [LOCAL_PART_ERROR in e for e in form.errors["email"]] == [True]


# --- Password reset request -------------------------------------------------------------------


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_reset_request_refuses_look_alike(client: Client, alice: User, address: str) -> None:
    response = client.post(reverse("accounts:password-reset"), {"email": address})

    assert response.status_code == 200
    assert LOCAL_PART_ERROR in page_html(response)
    assert not Notification.objects.exists()


def test_reset_request_of_a_spelling_of_alices_address_reaches_her(
    client: Client, alice: User
) -> None:
    client.post(reverse("accounts:password-reset"), {"email": "ＡＬＩＣＥ@example.com"})
    assert Notification.objects.get(kind="password_reset").to == "alice@example.com"


def test_reset_form_cleans_to_canonical() -> None:
    form = PasswordResetRequestForm({"email": "ａｌｉｃｅ@EXAMPLE.com"})
    assert form.is_valid()
    assert form.cleaned_data["email"] == "alice@example.com"


# --- Invitations ------------------------------------------------------------------------------


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_invitation_to_look_alike_is_refused(alice: User, acme: Organization, address: str) -> None:
    response = signed_in(alice).post(
        "/orgs/acme/members/invite/", {"email": address, "role": "collaborator"}
    )

    assert response.status_code == 200
    assert LOCAL_PART_ERROR in page_html(response)
    assert not Invitation.objects.exists()


def test_invitation_to_a_spelling_of_a_members_address_is_refused(
    alice: User, bob: User, acme: Organization
) -> None:
    response = signed_in(alice).post(
        "/orgs/acme/members/invite/", {"email": "ｂｏｂ@example.com", "role": "collaborator"}
    )

    assert "This person is already a member." in page_html(response)
    assert not Invitation.objects.exists()


def test_invitation_for_a_look_alike_is_not_for_alice(alice: User, acme: Organization) -> None:
    # An invitation stored before addresses were refused (or by a direct write).
    invitation = Invitation.objects.create(
        organization=acme,
        email="alıce@example.com",
        role=Role.COLLABORATOR,
        expires_at=timezone.now() + timedelta(days=7),
    )
    assert not invitation.is_for(alice)
    invitation.email = "ＡＬＩＣＥ@Example.com"
    assert invitation.is_for(alice)


# --- Storage ----------------------------------------------------------------------------------


def test_every_save_stores_the_canonical_form(alice: User) -> None:
    alice.email = "ＡＬＩＣＥ@Example.COM"
    alice.save()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_create_user_refuses_a_look_alike() -> None:
    with pytest.raises(ValidationError):
        User.objects.create_user("alıce@example.com", PASSWORD)
    assert not User.objects.exists()


def test_model_validation_refuses_a_look_alike(alice: User) -> None:
    # What the admin's forms run: staff cannot give an account a look-alike address either.
    alice.email = "alıce@example.com"
    with pytest.raises(ValidationError) as refused:
        alice.full_clean()
    assert "email" in refused.value.message_dict


# --- The data migration -----------------------------------------------------------------------

migration = importlib.import_module("accounts.migrations.0002_email_canonical_form")


def test_migration_brings_old_rows_to_the_canonical_form(client: Client, alice: User) -> None:
    # Rows as an import or the lower-casing of old wrote them.
    User.objects.filter(pk=alice.pk).update(email="Alice@Example.com")
    other = UserFactory.create()
    User.objects.filter(pk=other.pk).update(email="ａｎｎａ@München.de")

    migration.canonicalise_addresses(apps, connection.schema_editor())

    assert User.objects.get(pk=alice.pk).email == "alice@example.com"
    assert User.objects.get(pk=other.pk).email == "anna@xn--mnchen-3ya.de"
    assert sign_in(client, "alice@example.com", PASSWORD).status_code == 302


def test_migration_stops_at_a_look_alike_pair_and_names_both(alice: User) -> None:
    # A look-alike that an old sign-up let in: "ａlice" is alice's address once canonical.
    twin = UserFactory.create()
    User.objects.filter(pk=twin.pk).update(email="ａlice@example.com")

    with pytest.raises(migration.AddressCollision) as stopped:
        migration.canonicalise_addresses(apps, connection.schema_editor())

    assert f"{alice.pk} and {twin.pk}" in str(stopped.value)
    assert User.objects.get(pk=twin.pk).email == "ａlice@example.com"  # nothing changed
