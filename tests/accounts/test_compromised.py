"""The "password compromised?" wizard (/security/compromised/): change the password (other sessions
out, this one kept), revoke what the old password may have opened, review, one summary email.

alice runs the wizard; dave is the outsider whose credentials must never move."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.inventory import OtherSessions
from accounts.models import Session, User
from accounts.reauth import SESSION_KEY as REAUTH_SESSION_KEY
from core.models import AuditEvent, Notification
from organizations.models import Organization
from security import app_passwords
from security import services as security_services
from security.methods import public_id
from security.models import ApplicationPassword, EmergencyCodesDevice, TOTPDevice
from tests.accounts.helpers import FIREFOX, SAFARI, is_signed_in, sign_in
from tests.conftest import signed_in, unescaped_html
from tests.factories import PASSWORD, UserFactory
from tests.organizations.test_get_pages_readonly import _session_key, _snapshot
from tokens import services as token_services
from tokens.models import ApiToken

NEW_PASSWORD = "a brand new sentence nobody knows"
STEP1 = reverse("compromised:password")
STEP2 = reverse("compromised:inventory")
STEP3 = reverse("review:compromised")
FINISH = reverse("compromised:finish")


def revoke_url(category: str) -> str:
    return reverse("compromised:revoke", args=[category])


def remove_url(device: TOTPDevice) -> str:
    """The 2FA page's confirmation of removing `device`, as step 2 links to it."""
    url = reverse("security:method-remove", args=[public_id(device.persistent_id)])
    return f"{url}?{urlencode({'next': f'{STEP2}#two-factor'})}"


def words_html(response: Any) -> str:
    """The page with spaces collapsed, tags kept."""
    return " ".join(unescaped_html(response).split())


def words(response: Any) -> str:
    """What a screen reader reads: the text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", unescaped_html(response)).split())


def change_password(client: Client, current: str = PASSWORD, new: str = NEW_PASSWORD) -> Any:
    return client.post(STEP1, {"old_password": current, "new_password1": new, "new_password2": new})


def browser(
    user: User, user_agent: str = FIREFOX, ip: str = "192.0.2.44", *, password: str = PASSWORD
) -> Client:
    """Another browser signed in as `user` through the sign-in page, from `ip`."""
    client = Client()
    response = sign_in(client, user.email, password, ip=ip, user_agent=user_agent)
    assert response.status_code == 302, unescaped_html(response)
    return client


def app_password(user: User, name: str, *, days_old: int = 0) -> ApplicationPassword:
    created, _secret = app_passwords.do_create_app_password(
        user, name=name, services=["mail"], actor=user
    )
    if days_old:
        ApplicationPassword.objects.filter(pk=created.pk).update(
            created_at=timezone.now() - timedelta(days=days_old)
        )
    return created


def token(user: User, org: Organization, name: str) -> ApiToken:
    created, _secret = token_services.do_create_token(
        user, organization=org, name=name, scope="newsletter", expires_at=None, actor=user
    )
    return created


def method(user: User, name: str, *, days_old: int = 0) -> TOTPDevice:
    device = TOTPDevice(user=user, name=name, confirmed=True)
    device.set_key(TOTPDevice.new_key())
    device.save()
    if days_old:
        TOTPDevice.objects.filter(pk=device.pk).update(
            created_at=timezone.now() - timedelta(days=days_old)
        )
    return device


@pytest.fixture
def keller(dave: User) -> Organization:
    return Organization.objects.get(slug="keller")


@pytest.fixture
def here(alice: User) -> Client:
    """alice's own browser, the one she runs the wizard in."""
    return signed_in(alice)


@pytest.fixture
def started(here: Client) -> Client:
    """alice passed step 1 in `here`."""
    response = change_password(here)
    assert response.status_code == 302, unescaped_html(response)
    return here


def summary_emails() -> Any:
    return Notification.objects.filter(kind="compromised_summary")


# --- Step 1: the password -----------------------------------------------------------------------


def test_step_one_shows_the_stepper_and_the_three_fields(here: Client) -> None:
    page = unescaped_html(here.get(STEP1))
    assert "Step 1 of 3" in page
    for step in (
        "Change your password",
        "Revoke what you do not recognise",
        "Review your security",
    ):
        assert step in page
    assert 'aria-current="step"' in page
    for field in ("Current password", "New password", "Confirm the new password"):
        assert field in page


def test_step_one_with_wrong_current_password_is_refused_and_changes_nothing(
    alice: User, here: Client
) -> None:
    elsewhere = browser(alice)
    response = change_password(here, current="not my password at all")
    assert response.status_code == 200
    assert "This is not your current password." in unescaped_html(response)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert is_signed_in(elsewhere)
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(subject_user=alice).exists()
    assert here.get(STEP2)["Location"] == STEP1  # the wizard did not start


def test_step_one_refuses_two_different_new_passwords(alice: User, here: Client) -> None:
    response = here.post(
        STEP1,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "other one"},
    )
    assert "The two passwords are not the same." in unescaped_html(response)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_step_one_refuses_the_current_password_as_the_new_one(alice: User, here: Client) -> None:
    """The password is thought known to someone else: it must not be accepted again."""
    elsewhere = browser(alice)
    response = change_password(here, current=PASSWORD, new=PASSWORD)
    assert response.status_code == 200
    assert "The new password must be different from your current one." in unescaped_html(response)
    assert is_signed_in(elsewhere)
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(subject_user=alice).exists()
    assert here.get(STEP2)["Location"] == STEP1  # the wizard did not start


def test_step_one_with_a_wrong_current_password_does_not_say_whether_the_new_one_is_it(
    here: Client,
) -> None:
    """The "same as the current one" check must not become a way to guess the password that
    skips the limit on the current-password field."""
    response = change_password(here, current="not my password at all", new=PASSWORD)
    assert "This is not your current password." in unescaped_html(response)
    assert "different from your current one" not in unescaped_html(response)


def test_step_one_signs_out_other_sessions_and_keeps_this_one(
    alice: User, dave: User, here: Client
) -> None:
    elsewhere, daves = browser(alice), browser(dave)
    response = change_password(here)
    assert response["Location"] == STEP2
    page = unescaped_html(here.get(STEP2))
    assert "Your password is changed. 1 other session was signed out." in page
    assert "Step 2 of 3" in page
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert is_signed_in(daves)
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert Session.objects.filter(user=alice).count() == 1


def test_step_one_is_audited_and_emails_the_change_at_once(alice: User, here: Client) -> None:
    browser(alice)
    change_password(here)
    started = AuditEvent.objects.get(action="compromised_wizard.started")
    assert (started.actor, started.subject_user) == (alice, alice)
    assert started.data == {"other_sessions_ended": 1}
    assert AuditEvent.objects.filter(action="user.password_changed", subject_user=alice).exists()
    assert NEW_PASSWORD not in str(list(AuditEvent.objects.values_list("data", flat=True)))
    # The password change is told at once (a thief running the wizard must not go unnoticed);
    # the summary waits for the end.
    assert Notification.objects.filter(kind="password_changed", to=alice.email).count() == 1
    assert not summary_emails().exists()


def test_step_one_limits_guesses_of_the_current_password(alice: User, here: Client) -> None:
    for _ in range(5):
        assert "This is not your current password." in unescaped_html(
            change_password(here, "wrong guess")
        )
    response = change_password(here)  # the right one, too late
    assert "Too many attempts. Try again in" in unescaped_html(response)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_wizard_needs_sign_in(client: Client) -> None:
    for url in (STEP1, STEP2, revoke_url("app-passwords"), STEP3):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert client.post(FINISH)["Location"].startswith(reverse("accounts:login"))


def test_later_steps_before_step_one_send_back_to_it(alice: User, here: Client) -> None:
    mine = app_password(alice, "Thunderbird")
    assert here.get(STEP2)["Location"] == STEP1
    assert here.get(STEP3)["Location"] == STEP1
    response = here.post(revoke_url("app-passwords"), {"item": str(mine.pk)})
    assert response["Location"] == STEP1
    assert ApplicationPassword.objects.get(pk=mine.pk).revoked_at is None
    here.post(FINISH)
    assert not summary_emails().exists()


# --- Step 2: the inventory ----------------------------------------------------------------------


def test_inventory_lists_each_category_with_name_created_and_last_used(
    alice: User, acme: Organization, dave: User, keller: Organization, started: Client
) -> None:
    browser(alice, SAFARI, ip="203.0.113.9", password=NEW_PASSWORD)  # after the change
    thunderbird = app_password(alice, "Thunderbird")
    ApplicationPassword.objects.filter(pk=thunderbird.pk).update(
        last_used_at=timezone.now() - timedelta(days=2)
    )
    token(alice, acme, "Deploy script")
    method(alice, "Unknown phone")
    method(alice, "My old phone", days_old=60)
    app_password(dave, "Dave's mail")
    token(dave, keller, "Dave's script")
    method(dave, "Dave's phone")

    response = started.get(STEP2)
    page = unescaped_html(response)

    for heading in (
        "Other sessions",
        "Application passwords",
        "API tokens",
        "Two-factor methods",
    ):
        assert f">{heading}</h2>" in page
    assert "Safari · iOS" in page
    assert "203.0.113.9" in page
    assert "Thunderbird" in page
    assert "Mail (IMAP, SMTP)" in page
    assert "Deploy script (…" in page
    assert "Newsletter · Acme SA" in page
    assert "Unknown phone" in page
    assert "My old phone" in page  # every method is listed; the recent ones pointed out
    for theirs in ("Dave's mail", "Dave's script", "Dave's phone"):
        assert theirs not in page
    assert page.count("Never") >= 2  # the token and the new method were never used
    assert "Revoke all (Application passwords)" in words(response)
    # No session key of another browser ever reaches the page.
    for key in Session.objects.filter(user=alice).values_list("session_key", flat=True):
        assert key not in page


def test_inventory_says_when_a_category_is_empty(started: Client) -> None:
    page = unescaped_html(started.get(STEP2))
    assert "You are signed in only here." in page
    assert "You have no application password." in page
    assert "You have no API token that works." in page
    assert "You have no two-factor method." in page
    assert "Revoke all" not in page


def test_inventory_leaves_out_tokens_that_no_longer_work(
    alice: User, acme: Organization, started: Client
) -> None:
    revoked = token(alice, acme, "Revoked one")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    deactivated = token(alice, acme, "Deactivated one")
    ApiToken.objects.filter(pk=deactivated.pk).update(deactivated_at=timezone.now())
    expired = token(alice, acme, "Expired one")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    token(alice, acme, "Working one")
    page = unescaped_html(started.get(STEP2))
    assert "Working one" in page
    for gone in ("Revoked one", "Deactivated one", "Expired one"):
        assert gone not in page


def test_revoke_one_application_password_revokes_only_that_one(
    alice: User, started: Client
) -> None:
    thunderbird, phone = app_password(alice, "Thunderbird"), app_password(alice, "Phone mail")
    response = started.post(revoke_url("app-passwords"), {"item": str(thunderbird.pk)})
    assert response["Location"] == f"{STEP2}#app-passwords"
    assert "Revoked: 1 application password." in unescaped_html(started.get(STEP2))
    thunderbird.refresh_from_db()
    phone.refresh_from_db()
    assert thunderbird.revoked_at is not None
    assert phone.revoked_at is None
    event = AuditEvent.objects.get(action="app_password.revoked")
    assert (event.actor, event.subject_user, event.data) == (alice, alice, {"count": 1})


def test_revoke_all_application_passwords_asks_first_naming_how_many(
    alice: User, dave: User, started: Client
) -> None:
    app_password(alice, "Thunderbird")
    app_password(alice, "Phone mail")
    daves = app_password(dave, "Dave's mail")
    before = _snapshot(_session_key(started))

    confirm = started.get(revoke_url("app-passwords"))

    page = unescaped_html(confirm)
    assert "Revoke all: Application passwords" in page
    assert "2 application passwords will stop working at once, in every app that uses them." in page
    assert "Thunderbird" in page
    assert "Phone mail" in page
    assert "Step 2 of 3" in page
    assert _snapshot(_session_key(started)) == before  # asking changed nothing

    started.post(revoke_url("app-passwords"), {"all": "1"})

    assert not ApplicationPassword.objects.filter(user=alice, revoked_at=None).exists()
    assert ApplicationPassword.objects.get(pk=daves.pk).revoked_at is None
    assert "Revoked: 2 application passwords." in unescaped_html(started.get(STEP2))


def test_revoke_with_other_users_ids_changes_nothing(
    alice: User, acme: Organization, dave: User, keller: Organization, started: Client
) -> None:
    daves_session = browser(dave)
    daves_password = app_password(dave, "Dave's mail")
    daves_token = token(dave, keller, "Dave's script")
    daves_method = method(dave, "Dave's phone")
    mine = app_password(alice, "Thunderbird")
    dave_session_id = OtherSessions().items(
        dave, daves_session.get(reverse("accounts:profile")).wsgi_request
    )
    before = _snapshot(_session_key(started))

    posts = {
        "sessions": [i.id for i in dave_session_id] + [daves_session.session.session_key or ""],
        "app-passwords": [str(daves_password.pk)],
        "api-tokens": [str(daves_token.pk)],
    }
    for category, ids in posts.items():
        started.post(revoke_url(category), {"item": ids})
    assert "Nothing was revoked: it was gone already." in unescaped_html(started.get(STEP2))
    remove_daves = reverse("security:method-remove", args=[public_id(daves_method.persistent_id)])
    assert started.post(remove_daves).status_code == 404

    assert _snapshot(_session_key(started)) == before
    assert is_signed_in(daves_session)
    assert ApplicationPassword.objects.get(pk=mine.pk).revoked_at is None


def test_revoke_with_made_up_ids_revokes_nothing_rather_than_everything(
    alice: User, started: Client
) -> None:
    app_password(alice, "Thunderbird")
    for junk in ("abc", "", "-1", "1e3", "\u0661"):
        started.post(revoke_url("app-passwords"), {"item": junk})
    assert ApplicationPassword.objects.filter(user=alice, revoked_at=None).count() == 1


def test_revoke_unknown_category_is_404(started: Client) -> None:
    assert started.get(revoke_url("passports")).status_code == 404
    assert started.post(revoke_url("passports"), {"all": "1"}).status_code == 404


def test_revoke_one_other_session_and_then_all(alice: User, dave: User, started: Client) -> None:
    phone = browser(alice, SAFARI, ip="203.0.113.9", password=NEW_PASSWORD)
    laptop = browser(alice, FIREFOX, password=NEW_PASSWORD)
    daves = browser(dave)
    request = started.get(STEP2).wsgi_request
    phone_item = next(i for i in OtherSessions().items(alice, request) if i.name == "Safari · iOS")

    started.post(revoke_url("sessions"), {"item": phone_item.id})

    assert not is_signed_in(phone)
    assert is_signed_in(laptop)
    assert "1 other session will be signed out at once." in unescaped_html(
        started.get(revoke_url("sessions"))
    )
    started.post(revoke_url("sessions"), {"all": "1"})
    assert not is_signed_in(laptop)
    assert is_signed_in(started)
    assert is_signed_in(daves)
    assert AuditEvent.objects.filter(action="user.session_ended", subject_user=alice).count() == 1
    assert AuditEvent.objects.filter(action="user.sessions_ended", subject_user=alice).count() == 1


def test_revoke_tokens_one_then_all_only_the_users_own(
    alice: User, acme: Organization, dave: User, keller: Organization, started: Client
) -> None:
    first, second, third = (token(alice, acme, n) for n in ("First", "Second", "Third"))
    daves = token(dave, keller, "Dave's script")

    started.post(revoke_url("api-tokens"), {"item": str(first.pk)})
    assert ApiToken.objects.get(pk=first.pk).revoked_at is not None
    assert ApiToken.objects.get(pk=second.pk).revoked_at is None

    assert "2 API tokens will stop working at once" in unescaped_html(
        started.get(revoke_url("api-tokens"))
    )
    started.post(revoke_url("api-tokens"), {"all": "1"})
    assert ApiToken.objects.get(pk=third.pk).revoked_at is not None
    assert ApiToken.objects.get(pk=daves.pk).revoked_at is None
    assert AuditEvent.objects.filter(action="token.revoked", subject_user=alice).count() == 2


def test_a_method_cannot_be_removed_in_one_click_from_the_wizard(
    alice: User, started: Client
) -> None:
    """The review found "Revoke" removed alice's only method at once: 2FA off, emergency codes
    void, no warning. The wizard itself removes no method any more."""
    only = method(alice, "Phone")
    security_services.do_regenerate_emergency_codes(alice, actor=alice)

    for data in ({"item": only.persistent_id}, {"all": "1"}):
        assert started.post(revoke_url("two-factor"), data).status_code == 404
    assert started.get(revoke_url("two-factor")).status_code == 404

    assert TOTPDevice.objects.filter(pk=only.pk).exists()
    assert EmergencyCodesDevice.objects.filter(user=alice).exists()
    assert not AuditEvent.objects.filter(
        action__in=("two_factor.method_removed", "two_factor.disabled")
    ).exists()


def test_remove_on_step_two_opens_the_two_factor_page_confirmation_and_comes_back(
    alice: User, started: Client
) -> None:
    only = method(alice, "Phone")
    security_services.do_regenerate_emergency_codes(alice, actor=alice)
    confirm_url = remove_url(only)
    assert confirm_url in unescaped_html(started.get(STEP2))  # the link of "Remove", with `next`

    confirm = started.get(confirm_url)

    page = unescaped_html(confirm)
    assert "Remove Phone" in page
    assert (
        "This is your last method: two-factor authentication will be turned off, and your "
        "emergency codes will stop working." in page
    )
    assert f'href="{STEP2}#two-factor"' in page  # Cancel goes back to the wizard
    assert TOTPDevice.objects.filter(pk=only.pk).exists()  # asking changed nothing

    response = started.post(confirm_url)

    assert response["Location"] == f"{STEP2}#two-factor"
    assert not TOTPDevice.objects.filter(pk=only.pk).exists()
    assert "Two-factor authentication is now off." in unescaped_html(started.get(STEP2))


def test_step_two_points_out_the_methods_added_recently(alice: User, started: Client) -> None:
    method(alice, "My old phone", days_old=60)
    method(alice, "Unknown phone", days_old=2)

    response = started.get(STEP2)

    rows = {
        row.split("</th>")[0].rsplit(">", 1)[-1]: row
        for row in words_html(response).split("<tr>")
        if "</th>" in row
    }
    assert "Added 2 days ago — if this wasn't you, remove it." in rows["Unknown phone"]
    assert "if this wasn't you" not in rows["My old phone"]  # listed, not pointed out
    assert "Remove Unknown phone (Authenticator app)" in words(response)
    assert "Remove My old phone (Authenticator app)" in words(response)


def test_removal_from_the_wizard_refused_when_an_organization_requires_two_factor(
    alice: User, acme: Organization, started: Client
) -> None:
    only = method(alice, "Phone")
    security_services.do_set_organization_requirement(acme, True, actor=alice)

    response = started.post(remove_url(only))

    assert response.status_code == 409
    assert "Acme SA requires two-factor authentication" in unescaped_html(response)
    assert TOTPDevice.objects.filter(pk=only.pk).exists()


def test_removing_a_method_from_the_wizard_needs_a_recent_password(
    alice: User, started: Client
) -> None:
    intruder = method(alice, "Unknown phone")
    session = started.session
    session[REAUTH_SESSION_KEY] = time.time() - 3600
    session.save()

    response = started.post(remove_url(intruder))

    assert response["Location"].startswith(reverse("accounts:confirm-password"))
    assert TOTPDevice.objects.filter(pk=intruder.pk).exists()
    # After the password, the person is back on the confirmation, still on its way to step 2.
    back = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    assert back == remove_url(intruder)


def test_removal_next_to_another_site_is_ignored(alice: User, started: Client) -> None:
    intruder = method(alice, "Unknown phone")
    url = reverse("security:method-remove", args=[public_id(intruder.persistent_id)])
    response = started.post(f"{url}?next=https://evil.example/")
    assert response["Location"] == reverse("security:two-factor")


def test_pages_of_the_wizard_change_nothing_on_get(
    alice: User, acme: Organization, started: Client
) -> None:
    browser(alice, password=NEW_PASSWORD)
    app_password(alice, "Thunderbird")
    token(alice, acme, "Deploy script")
    intruder = method(alice, "Unknown phone")
    before = _snapshot(_session_key(started))
    urls = [STEP1, STEP2, STEP3, FINISH, reverse("review:index"), remove_url(intruder)] + [
        revoke_url(c) for c in ("sessions", "app-passwords", "api-tokens")
    ]
    for url in urls:
        assert started.get(url).status_code in (200, 302, 405), url
    assert _snapshot(_session_key(started)) == before
    assert not summary_emails().exists()


# --- Step 3 and the end -------------------------------------------------------------------------


def test_step_three_is_the_security_review_with_the_finish_button(started: Client) -> None:
    page = unescaped_html(started.get(STEP3))
    assert "Step 3 of 3" in page
    assert "<h1>Review your security</h1>" in page
    assert "Two-factor authentication" in page
    assert "Recent security events" in page
    assert f'action="{FINISH}"' in page
    assert "Password compromised?</a>" not in page  # the wizard does not offer itself again


def test_finish_sends_one_summary_of_what_changed_and_was_revoked(
    alice: User, acme: Organization, here: Client
) -> None:
    browser(alice)
    change_password(here)
    app_password(alice, "Thunderbird")
    app_password(alice, "Phone mail")
    kept = token(alice, acme, "Kept script")
    here.post(revoke_url("app-passwords"), {"all": "1"})

    response = here.post(FINISH, follow=True)

    assert response.redirect_chain[-1][0] == reverse("review:index")
    assert "All done. We sent you an email with a summary of what changed." in unescaped_html(
        response
    )
    email = summary_emails().get()
    assert (email.to, email.language) == (alice.email, "en")
    assert "Your password was changed, and 1 other session was signed out." in email.body_text
    assert "Revoked — Application passwords: " in email.body_text
    assert "Thunderbird" in email.body_text
    assert "Phone mail" in email.body_text
    assert kept.name not in email.body_text
    assert "/security/" in email.body_text
    assert "Thunderbird" in email.body_html
    event = AuditEvent.objects.get(action="compromised_wizard.completed")
    assert event.subject_user == alice
    assert event.data == {"other_sessions_ended": 1, "revoked": {"app-passwords": 2}}


def test_finish_twice_sends_one_summary_and_closes_the_wizard(started: Client) -> None:
    started.post(FINISH)
    started.post(FINISH)
    assert summary_emails().count() == 1
    assert AuditEvent.objects.filter(action="compromised_wizard.completed").count() == 1
    assert started.get(STEP2)["Location"] == STEP1


def test_finish_without_revoking_says_nothing_else_was_revoked(started: Client) -> None:
    started.post(FINISH)
    body = summary_emails().get().body_text
    assert "Your password was changed, and 0 other sessions were signed out." in body
    assert "Nothing else was revoked." in body


def test_summary_is_in_the_users_language(db: Any) -> None:
    giulia = UserFactory.create(email="giulia@example.com", language="it")
    client = signed_in(giulia)
    change_password(client)
    client.post(FINISH)
    assert summary_emails().get().language == "it"


def test_whole_wizard_revokes_in_every_category(
    alice: User, acme: Organization, dave: User, keller: Organization, here: Client
) -> None:
    """From the first step to the summary, with something to revoke in each category."""
    assert "Step 1 of 3" in unescaped_html(here.get(STEP1))
    assert change_password(here)["Location"] == STEP2
    intruder_browser = browser(alice, SAFARI, ip="203.0.113.9", password=NEW_PASSWORD)
    app_password(alice, "Intruder mail")
    token(alice, acme, "Intruder script")
    intruder_method = method(alice, "Intruder phone")
    daves = (app_password(dave, "Dave's mail"), token(dave, keller, "Dave's script"))

    for category in ("sessions", "app-passwords", "api-tokens"):
        assert here.get(revoke_url(category)).status_code == 200, category
        here.post(revoke_url(category), {"all": "1"})
    assert here.post(remove_url(intruder_method))["Location"] == f"{STEP2}#two-factor"
    step2 = unescaped_html(here.get(STEP2))
    assert step2.count("Revoke all") == 0
    assert unescaped_html(here.get(STEP3)).count("Step 3 of 3") == 1
    here.post(FINISH)

    assert not is_signed_in(intruder_browser)
    assert is_signed_in(here)
    assert not ApplicationPassword.objects.filter(user=alice, revoked_at=None).exists()
    assert not ApiToken.objects.filter(user=alice, revoked_at=None).exists()
    assert not TOTPDevice.objects.filter(pk=intruder_method.pk).exists()
    assert ApplicationPassword.objects.get(pk=daves[0].pk).revoked_at is None
    assert ApiToken.objects.get(pk=daves[1].pk).revoked_at is None
    body = summary_emails().get().body_text
    for line in (
        "Revoked — Other sessions: Safari · iOS",
        "Revoked — Application passwords: Intruder mail",
        "Revoked — API tokens: Intruder script (…",
        "Revoked — Two-factor methods: Intruder phone",
    ):
        assert line in body
    actions = set(AuditEvent.objects.filter(subject_user=alice).values_list("action", flat=True))
    assert {
        "compromised_wizard.started",
        "user.password_changed",
        "user.sessions_ended",
        "app_password.revoked",
        "token.revoked",
        "two_factor.disabled",
        "compromised_wizard.completed",
    } <= actions
