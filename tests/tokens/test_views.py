"""The API token pages (/tokens/): create (shown once), list, revoke the selected, regenerate."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import Session, User
from accounts.session_store import SessionStore
from core.crypto import digest, unseal
from core.models import AuditEvent, Notification
from organizations.models import Organization
from tests.conftest import signed_in, unescaped_html
from tests.factories import PASSWORD
from tests.tokens.conftest import make_token
from tests.tokens.test_services import places_holding
from tokens import format as token_format
from tokens.models import ApiToken
from tokens.services import do_create_token
from tokens.views import NEW_TOKEN_KEY

LIST = "/tokens/"
CREATE = "/tokens/new/"
REVOKE = "/tokens/revoke/"
CONFIRM = "/accounts/confirm-password/"
SECRET = re.compile(r"ptk_[0-9A-Za-z]{38}")


def regenerate_url(token: ApiToken) -> str:
    return f"/tokens/{token.pk}/regenerate/"


def deactivated(token: ApiToken) -> ApiToken:
    ApiToken.objects.filter(pk=token.pk).update(deactivated_at=timezone.now())
    token.refresh_from_db()
    return token


def form_data(org: Organization, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "Newsletter import",
        "organization": org.pk,
        "scope": "newsletter",
        "validity": "unlimited",
        "expires_on": "",
        **overrides,
    }


@pytest.fixture
def as_alice_unconfirmed(alice: User) -> Client:
    """Alice signed in yesterday: her password is not fresh."""
    return signed_in(alice, recent_password=False)


@pytest.fixture
def zurich_noon() -> Iterator[time_machine.Traveller]:
    """Noon of 10 June 2026 in Zurich (the portal's time zone)."""
    with time_machine.travel(
        timezone.make_aware(datetime(2026, 6, 10, 12, 0)), tick=False
    ) as traveller:
        yield traveller


# --- The list -----------------------------------------------------------------------------------


def test_list_sends_anonymous_to_sign_in(client: Client) -> None:
    response = client.get(LIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_list_without_tokens_invites_to_create_one(as_alice: Client) -> None:
    page = unescaped_html(as_alice.get(LIST))

    assert "No API token yet" in page
    assert f'href="{CREATE}"' in page
    assert "Revoke the selected tokens" not in page


def test_list_shows_the_tokens_with_their_settings(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    make_token(alice, acme, name="Import script")
    until = timezone.now() + timedelta(days=3)
    do_create_token(
        alice, organization=acme, name="Domains", scope="domains", expires_at=until, actor=alice
    )

    page = unescaped_html(as_alice.get(LIST))

    assert "Import script" in page
    assert "Domains" in page
    assert "Newsletter" in page
    assert "Acme SA" in page
    assert "Unlimited" in page
    assert "Never" in page
    assert "Revoke the selected tokens" in page
    assert "Regenerate" not in page
    assert SECRET.search(page) is None


def test_list_shows_only_ones_own_tokens(
    alice: User, bob: User, dave: User, acme: Organization
) -> None:
    """dave is an outsider; bob works in the same organization: neither sees alice's tokens."""
    make_token(alice, acme, name="Alice's secret script")
    make_token(bob, acme, name="Bob's script")

    dave_page = unescaped_html(signed_in(dave).get(LIST))
    bob_page = unescaped_html(signed_in(bob).get(LIST))

    assert "Alice's secret script" not in dave_page
    assert "Bob's script" not in dave_page
    assert "No API token yet" in dave_page
    assert "Bob's script" in bob_page
    assert "Alice's secret script" not in bob_page


def test_list_hides_revoked_tokens(as_alice: Client, alice: User, acme: Organization) -> None:
    gone = make_token(alice, acme, name="Old script")
    ApiToken.objects.filter(pk=gone.pk).update(revoked_at=timezone.now())

    assert "Old script" not in unescaped_html(as_alice.get(LIST))


def test_list_says_when_a_warned_token_will_be_deactivated(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    """The warning email of the one-year rule, on the page too: which token, and when."""
    quiet = make_token(alice, acme, name="Quiet script")
    make_token(alice, acme, name="Busy script")
    since = timezone.now() - timedelta(days=340)
    ApiToken.objects.filter(pk=quiet.pk).update(active_since=since, warned_at=timezone.now())

    page = unescaped_html(as_alice.get(LIST))

    deadline = (since + timedelta(days=365)).astimezone(timezone.get_current_timezone())
    assert page.count("Unused for 11 months") == 1
    assert f"deactivated on {deadline:%d.%m.%Y}" in page


def test_list_offers_regenerate_only_for_deactivated_or_expired_tokens(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    works = make_token(alice, acme, name="Works")
    sleeping = deactivated(make_token(alice, acme, name="Sleeping"))
    ended = make_token(alice, acme, name="Ended")
    ApiToken.objects.filter(pk=ended.pk).update(expires_at=timezone.now() - timedelta(days=1))

    page = unescaped_html(as_alice.get(LIST))

    assert f'formaction="{regenerate_url(sleeping)}"' in page
    assert f'formaction="{regenerate_url(ended)}"' in page
    assert regenerate_url(works) not in page
    assert '<span class="badge badge--danger">Deactivated</span>' in page
    assert '<span class="badge badge--danger">Expired</span>' in page
    assert '<span class="badge badge--ok">Active</span>' in page


# --- Create -------------------------------------------------------------------------------------


def test_create_asks_for_the_password_first(as_alice_unconfirmed: Client) -> None:
    response = as_alice_unconfirmed.get(CREATE)

    assert response.status_code == 302
    assert response["Location"] == f"{CONFIRM}?{urlencode({'next': CREATE})}"


def test_create_post_without_a_recent_password_creates_nothing(
    as_alice_unconfirmed: Client, acme: Organization
) -> None:
    response = as_alice_unconfirmed.post(CREATE, form_data(acme))

    assert response.status_code == 302
    assert response["Location"].startswith(CONFIRM)
    assert not ApiToken.objects.exists()


def test_create_after_confirming_the_password(
    as_alice_unconfirmed: Client, acme: Organization
) -> None:
    client = as_alice_unconfirmed
    confirmed = client.post(
        f"{CONFIRM}?{urlencode({'next': CREATE})}", {"password": PASSWORD, "next": CREATE}
    )
    assert confirmed["Location"] == CREATE

    assert client.get(CREATE).status_code == 200
    assert client.post(CREATE, form_data(acme)).status_code == 302
    assert ApiToken.objects.count() == 1


def test_create_form_offers_only_the_users_organizations_and_the_registry(
    as_alice: Client, carol: User, dave: User
) -> None:
    page = unescaped_html(as_alice.get(CREATE))

    assert "Acme SA" in page
    assert "Studio Carol" not in page
    assert "Keller Consulting" not in page
    for label in (
        "Newsletter",
        "Domains",
        "Mail",
        "kDrive",
        "Products and tags",
        "Products and tags (read-only)",
    ):
        assert f">{label}</option>" in page
    assert re.search(r'value="unlimited"[^>]*checked', page)


def test_create_shows_the_token_once_on_the_list(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    response = as_alice.post(CREATE, form_data(acme, name="Newsletter import"))

    assert response.status_code == 302
    assert response["Location"] == LIST
    shown = as_alice.get(LIST)
    page = unescaped_html(shown)
    [secret] = SECRET.findall(page)
    assert token_format.is_well_formed(secret)
    assert "no-store" in shown["Cache-Control"]
    assert "it will not be shown again" in page
    assert "Your new token “Newsletter import”" in page
    token = ApiToken.objects.get(user=alice)
    assert token.digest == digest(secret)
    assert (token.name, token.scope, token.organization, token.expires_at) == (
        "Newsletter import",
        "newsletter",
        acme,
        None,
    )

    reloaded = unescaped_html(as_alice.get(LIST))
    assert secret not in reloaded
    assert SECRET.search(reloaded) is None
    assert "Newsletter import" in reloaded


def test_create_keeps_the_secret_only_sealed_until_shown(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    """Between the form and the list the secret waits in the session, sealed: no column and no
    decoded session holds it in clear."""
    as_alice.post(CREATE, form_data(acme))
    sealed = as_alice.session[NEW_TOKEN_KEY]["secret"]
    secret = unseal(sealed).decode()
    random_part = secret[4:36]

    assert token_format.is_well_formed(secret)
    assert places_holding(secret) == []
    store: Any = SessionStore()
    for row in Session.objects.all():
        assert random_part not in json.dumps(store.decode(row.session_data))

    as_alice.get(LIST)
    assert NEW_TOKEN_KEY not in as_alice.session


def test_create_emails_the_owner_and_writes_the_audit_log(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    as_alice.post(CREATE, form_data(acme, name="Newsletter import"))
    secret = SECRET.findall(unescaped_html(as_alice.get(LIST)))[0]

    email = Notification.objects.get(kind="token_created")
    assert email.recipient == alice
    assert "Newsletter import" in email.body_text
    assert secret not in email.body_text
    assert secret not in email.body_html
    event = AuditEvent.objects.get(action="token.created")
    assert event.actor == alice
    assert event.organization_id == acme.pk


def test_create_for_another_organization_is_a_form_error(
    as_alice: Client, carol: User, studio_carol: Organization
) -> None:
    response = as_alice.post(CREATE, form_data(studio_carol))

    assert response.status_code == 200
    page = unescaped_html(response)
    assert "There is a problem" in page
    assert "Select a valid choice" in page
    assert "Studio Carol" not in page
    assert not ApiToken.objects.exists()
    assert not Notification.objects.filter(kind="token_created").exists()


def test_create_with_a_scope_outside_the_registry_is_a_form_error(
    as_alice: Client, acme: Organization
) -> None:
    response = as_alice.post(CREATE, form_data(acme, scope="everything"))

    assert response.status_code == 200
    assert "Select a valid choice" in unescaped_html(response)
    assert not ApiToken.objects.exists()


def test_create_without_a_name_is_a_form_error(as_alice: Client, acme: Organization) -> None:
    response = as_alice.post(CREATE, form_data(acme, name="   "))

    assert response.status_code == 200
    assert "This field is required" in unescaped_html(response)
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("days", [0, -1, -400])
def test_create_until_today_or_a_past_day_is_refused(
    zurich_noon: time_machine.Traveller, as_alice: Client, acme: Organization, days: int
) -> None:
    day = date(2026, 6, 10) + timedelta(days=days)

    response = as_alice.post(CREATE, form_data(acme, validity="until", expires_on=day.isoformat()))

    assert response.status_code == 200
    assert "Choose a day after today." in unescaped_html(response)
    assert not ApiToken.objects.exists()


def test_create_until_a_date_without_the_date_is_refused(
    as_alice: Client, acme: Organization
) -> None:
    response = as_alice.post(CREATE, form_data(acme, validity="until", expires_on=""))

    assert response.status_code == 200
    assert "Choose the last day of validity." in unescaped_html(response)
    assert not ApiToken.objects.exists()


def test_create_until_a_day_works_to_the_end_of_that_day(
    zurich_noon: time_machine.Traveller, as_alice: Client, alice: User, acme: Organization
) -> None:
    response = as_alice.post(CREATE, form_data(acme, validity="until", expires_on="2026-06-11"))

    assert response.status_code == 302
    token = ApiToken.objects.get(user=alice)
    assert token.expires_at == timezone.make_aware(datetime.combine(date(2026, 6, 11), time.max))
    zurich_noon.move_to(timezone.make_aware(datetime(2026, 6, 11, 23, 59, 59)))
    assert token.status == ApiToken.Status.ACTIVE
    zurich_noon.move_to(timezone.make_aware(datetime(2026, 6, 12, 0, 0)))
    # A property of the clock: mypy keeps the narrowing of the assertion above.
    assert token.status == ApiToken.Status.EXPIRED  # type: ignore[comparison-overlap]


def test_create_with_unlimited_validity_ignores_a_typed_date(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    as_alice.post(CREATE, form_data(acme, validity="unlimited", expires_on="2030-01-01"))

    assert ApiToken.objects.get(user=alice).expires_at is None


# --- Revoke the selected ------------------------------------------------------------------------


def test_revoke_by_get_is_not_allowed(as_alice: Client, alice: User, acme: Organization) -> None:
    token = make_token(alice, acme)

    response = as_alice.get(f"{REVOKE}?token={token.pk}&confirmed=yes")

    assert response.status_code == 405
    assert ApiToken.objects.get(pk=token.pk).status == ApiToken.Status.ACTIVE


def test_revoke_without_a_selection_says_so(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    make_token(alice, acme)

    response = as_alice.post(REVOKE, {"token": ["", "abc", "-1"]}, follow=True)

    assert "Select the tokens to revoke first." in unescaped_html(response)
    assert not ApiToken.objects.exclude(revoked_at=None).exists()


def test_revoke_asks_for_confirmation_naming_the_tokens(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    first = make_token(alice, acme, name="First script")
    second = make_token(alice, acme, name="Second script")
    make_token(alice, acme, name="Kept script")

    response = as_alice.post(REVOKE, {"token": [first.pk, second.pk]})

    assert response.status_code == 200
    page = unescaped_html(response)
    assert "2 tokens will stop working at once" in page
    assert "First script" in page
    assert "Second script" in page
    assert "Kept script" not in page
    assert 'name="confirmed" value="yes"' in page
    assert not ApiToken.objects.exclude(revoked_at=None).exists()


def test_revoke_confirmed_revokes_the_selected_tokens(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    first = make_token(alice, acme, name="First script")
    second = make_token(alice, acme, name="Second script")
    kept = make_token(alice, acme, name="Kept script")

    response = as_alice.post(
        REVOKE, {"token": [first.pk, second.pk], "confirmed": "yes"}, follow=True
    )

    assert "2 tokens are revoked." in unescaped_html(response)
    assert ApiToken.objects.get(pk=first.pk).status == ApiToken.Status.REVOKED
    assert ApiToken.objects.get(pk=second.pk).status == ApiToken.Status.REVOKED
    assert ApiToken.objects.get(pk=kept.pk).status == ApiToken.Status.ACTIVE
    page = unescaped_html(response)
    assert "Kept script" in page
    assert "First script" not in page


def test_revoke_ignores_the_ids_of_other_peoples_tokens(
    as_alice: Client, alice: User, bob: User, dave: User, acme: Organization
) -> None:
    mine = make_token(alice, acme, name="Mine")
    bobs = make_token(bob, acme, name="Bob's script")
    daves_org = Organization.objects.get(slug="keller")
    daves = make_token(dave, daves_org, name="Dave's script")
    ids = [mine.pk, bobs.pk, daves.pk]

    confirmation = unescaped_html(as_alice.post(REVOKE, {"token": ids}))
    done = unescaped_html(as_alice.post(REVOKE, {"token": ids, "confirmed": "yes"}, follow=True))

    assert "1 token will stop working at once" in confirmation
    assert "Bob's script" not in confirmation
    assert "Dave's script" not in confirmation
    assert "1 token is revoked." in done
    assert ApiToken.objects.get(pk=mine.pk).status == ApiToken.Status.REVOKED
    assert ApiToken.objects.get(pk=bobs.pk).status == ApiToken.Status.ACTIVE
    assert ApiToken.objects.get(pk=daves.pk).status == ApiToken.Status.ACTIVE


def test_revoke_of_only_foreign_ids_asks_for_a_selection(
    as_alice: Client, alice: User, bob: User, acme: Organization
) -> None:
    bobs = make_token(bob, acme, name="Bob's script")

    response = as_alice.post(REVOKE, {"token": [bobs.pk]}, follow=True)

    assert "Select the tokens to revoke first." in unescaped_html(response)
    assert ApiToken.objects.get(pk=bobs.pk).status == ApiToken.Status.ACTIVE


# --- Regenerate ---------------------------------------------------------------------------------


def test_regenerate_a_deactivated_token_shows_the_new_one_once(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    old = deactivated(make_token(alice, acme, name="Mail robot"))

    response = as_alice.post(regenerate_url(old))

    assert response.status_code == 302
    assert response["Location"] == LIST
    page = unescaped_html(as_alice.get(LIST))
    [secret] = SECRET.findall(page)
    new = ApiToken.objects.get(digest=digest(secret))
    assert (new.name, new.scope, new.organization) == ("Mail robot", "newsletter", acme)
    assert new.status == ApiToken.Status.ACTIVE
    assert ApiToken.objects.get(pk=old.pk).status == ApiToken.Status.REVOKED
    assert "Your new token “Mail robot”" in page
    assert SECRET.search(unescaped_html(as_alice.get(LIST))) is None


def test_regenerate_an_expired_token(as_alice: Client, alice: User, acme: Organization) -> None:
    """Made for 30 days, ended yesterday: the new token is valid for 30 days again."""
    old = make_token(alice, acme)
    now = timezone.now()
    ApiToken.objects.filter(pk=old.pk).update(
        created_at=now - timedelta(days=31), expires_at=now - timedelta(days=1)
    )

    assert as_alice.post(regenerate_url(old)).status_code == 302

    assert ApiToken.objects.get(pk=old.pk).status == ApiToken.Status.REVOKED
    new = ApiToken.objects.filter(revoked_at=None).get()
    assert new.status == ApiToken.Status.ACTIVE
    assert new.expires_at is not None
    assert abs(new.expires_at - (now + timedelta(days=30))) < timedelta(minutes=1)


def test_regenerate_an_active_token_changes_nothing(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    token = make_token(alice, acme)

    response = as_alice.post(regenerate_url(token), follow=True)

    assert "nothing to regenerate" in unescaped_html(response)
    assert ApiToken.objects.get() == token
    assert ApiToken.objects.get().status == ApiToken.Status.ACTIVE


def test_regenerate_a_revoked_token_is_not_found(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    token = deactivated(make_token(alice, acme))
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    assert as_alice.post(regenerate_url(token)).status_code == 404
    assert ApiToken.objects.count() == 1


def test_regenerate_by_get_is_not_allowed(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    token = deactivated(make_token(alice, acme))

    assert as_alice.get(regenerate_url(token)).status_code == 405
    assert ApiToken.objects.count() == 1
    assert ApiToken.objects.get().status == ApiToken.Status.DEACTIVATED


def test_regenerate_someone_elses_token_is_not_found(
    as_bob: Client, as_dave: Client, alice: User, acme: Organization
) -> None:
    token = deactivated(make_token(alice, acme))

    assert as_dave.post(regenerate_url(token)).status_code == 404
    assert as_bob.post(regenerate_url(token)).status_code == 404
    assert ApiToken.objects.count() == 1
    assert ApiToken.objects.get().status == ApiToken.Status.DEACTIVATED


def test_regenerate_asks_for_the_password_first(
    as_alice_unconfirmed: Client, alice: User, acme: Organization
) -> None:
    token = deactivated(make_token(alice, acme))

    response = as_alice_unconfirmed.post(regenerate_url(token))

    assert response.status_code == 302
    assert response["Location"].startswith(CONFIRM)
    assert ApiToken.objects.count() == 1


def test_regenerate_after_confirming_the_password_lands_on_a_working_page(
    as_alice_unconfirmed: Client, alice: User, acme: Organization
) -> None:
    client = as_alice_unconfirmed
    token = deactivated(make_token(alice, acme))
    to_confirm = client.post(regenerate_url(token))["Location"]

    back = client.post(to_confirm, {"password": PASSWORD}, follow=True)

    assert back.status_code == 200
    assert ApiToken.objects.count() == 1  # nothing happened without a new click
