"""Each offered language, as a reader of it meets it: the pages before sign-in follow the browser,
the second step and everything after follow the person; dates, amounts and counts are written the
way the language writes them; emails to addresses without an account go out in the language of the
person who sent them; password errors are never left in English (issue 14)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from django.utils.functional import Promise

from accounts.models import User
from core.models import Notification
from organizations import services as organization_services
from organizations.models import Organization, Role
from security.models import TOTPDevice
from tests.conftest import signed_in, with_authenticator
from tests.factories import PASSWORD, ProductFactory

OFFERED = [code for code, _name in settings.LANGUAGES if code != "en"]


def _main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


# --- Which language a page speaks ----------------------------------------------------------------


def test_sign_in_page_follows_the_browser(db: None) -> None:
    page = Client().get("/accounts/login/", headers={"accept-language": "de"}).content.decode()

    assert '<html lang="de">' in page


def test_second_step_speaks_the_persons_language_not_the_browsers(alice: User) -> None:
    alice.language = "it"
    alice.save(update_fields=["language"])
    with_authenticator(alice)
    browser = Client(headers={"accept-language": "en"})

    response = browser.post(
        "/accounts/login/", {"email": "alice@example.com", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0].startswith("/security/verify/")
    assert '<html lang="it">' in response.content.decode()


def test_the_language_menu_still_decides_at_the_second_step(alice: User) -> None:
    alice.language = "it"
    alice.save(update_fields=["language"])
    with_authenticator(alice)
    browser = Client(headers={"accept-language": "en"})
    browser.post("/accounts/login/", {"email": "alice@example.com", "password": PASSWORD})

    browser.post("/accounts/language/", {"language": "de", "next": "/security/verify/"})

    assert '<html lang="de">' in browser.get("/security/verify/").content.decode()
    alice.refresh_from_db()
    assert alice.language == "it"  # the profile changes only once signed in


def test_giving_up_the_second_step_returns_to_the_browsers_language(alice: User) -> None:
    alice.language = "it"
    alice.save(update_fields=["language"])
    with_authenticator(alice)
    browser = Client(headers={"accept-language": "fr"})
    browser.post("/accounts/login/", {"email": "alice@example.com", "password": PASSWORD})

    browser.post("/security/verify/cancel/")

    assert '<html lang="fr">' in browser.get("/accounts/login/").content.decode()


def test_a_wrong_password_does_not_change_the_language(alice: User) -> None:
    alice.language = "it"
    alice.save(update_fields=["language"])
    browser = Client(headers={"accept-language": "de"})

    response = browser.post("/accounts/login/", {"email": "alice@example.com", "password": "no"})

    assert '<html lang="de">' in response.content.decode()


# --- Dates, amounts and counts -------------------------------------------------------------------

# The product page of a domain renewed for 12 months at CHF 1234.50, expiring on 4 December 2026:
# the date, the amount and the count as each language writes them.
WRITTEN = {
    "en": ("4 December 2026", "12 months for CHF 1,234.50"),
    "it": ("4 dicembre 2026", "12 mesi per CHF 1\u2019234.50"),
    "fr": ("4 décembre 2026", "12 mois pour CHF 1\u2019234.50"),
    "de": ("4. Dezember 2026", "12 Monate für CHF 1\u2019234.50"),
    "es": ("4 de diciembre de 2026", "12 meses por CHF 1.234,50"),
}


def test_every_offered_language_has_its_written_forms_here() -> None:
    assert set(WRITTEN) == {code for code, _name in settings.LANGUAGES}


@pytest.mark.parametrize("language", sorted(WRITTEN))
@time_machine.travel(datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_product_page_writes_date_amount_and_count_in_the_language(
    alice: User, acme: Organization, language: str
) -> None:
    alice.language = language
    alice.save(update_fields=["language"])
    product = ProductFactory.create(
        organization=acme,
        expires_on=datetime.date(2026, 12, 4),
        renewal_months=12,
        price=Decimal("1234.50"),
    )

    page = _main(signed_in(alice).get(f"/orgs/acme/products/{product.pk}/").content.decode())

    date, renewal = WRITTEN[language]
    assert date in page
    assert renewal in page


def test_italian_months_are_lowercase_even_where_django_capitalises_them() -> None:
    with translation.override("it"):
        assert translation.gettext("December") == "dicembre"
        assert translation.gettext("Wednesday") == "mercoledì"


# --- Emails to addresses without an account ------------------------------------------------------


def test_invitation_to_a_new_address_goes_out_in_the_inviters_language(
    alice: User, acme: Organization
) -> None:
    alice.language = "de"
    alice.save(update_fields=["language"])

    organization_services.do_invite_member(
        acme, email="newcomer@example.com", role=Role.COLLABORATOR, actor=alice
    )

    email = Notification.objects.get(kind="member_invited", to="newcomer@example.com")
    assert email.language == "de"
    assert "Einladung" in email.subject or "eingeladen" in email.subject


def test_invitation_to_someone_with_an_account_goes_out_in_their_language(
    alice: User, dave: User, acme: Organization
) -> None:
    alice.language = "de"
    alice.save(update_fields=["language"])
    dave.language = "fr"
    dave.save(update_fields=["language"])

    organization_services.do_invite_member(
        acme, email=dave.email, role=Role.COLLABORATOR, actor=alice
    )

    assert Notification.objects.get(kind="member_invited", to=dave.email).language == "fr"


# --- Password errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", OFFERED)
@pytest.mark.parametrize("password", ["short", "x" * 129, "Portal-Hosting-2026!", "password"])
def test_password_errors_are_in_the_pages_language(language: str, password: str) -> None:
    with translation.override("en"):
        english = _refusals(password)
    with translation.override(language):
        translated = _refusals(password)

    assert english, password
    assert not set(english) & set(translated), f"left in English in {language}: {translated}"


def _refusals(password: str) -> list[str]:
    try:
        validate_password(password)
    except ValidationError as refusal:
        return list(refusal.messages)
    return []


# --- Labels support staff read in the admin ------------------------------------------------------

OUR_APPS = [
    "portal",
    "accounts",
    "organizations",
    "security",
    "billing",
    "tags",
    "tokens",
    "offers",
]


def test_every_label_of_our_models_is_translatable() -> None:
    """Django derives a label from a field's name ("created at") when none is given: plain English
    on every admin page. Every app, model, field and help text of ours names its own, lazily
    translated; a field added tomorrow without one fails here."""
    plain = []
    for label in OUR_APPS:
        config = apps.get_app_config(label)
        if not isinstance(config.verbose_name, Promise):
            plain.append(label)
        for model in config.get_models():
            options = model._meta
            for text in (options.verbose_name, options.verbose_name_plural):
                if not isinstance(text, Promise):
                    plain.append(f"{options.label}: {text}")
            for field in options.get_fields():
                if field.auto_created or not hasattr(field, "verbose_name"):
                    continue
                described = cast(Any, field)  # has verbose_name: a Field, not a relation's reverse
                for text in (described.verbose_name, described.help_text):
                    if text and not isinstance(text, Promise):
                        plain.append(f"{options.label}.{field.name}: {text}")
    assert not plain, plain


def test_django_otp_labels_are_ours_on_every_device() -> None:
    with translation.override("it"):
        assert str(TOTPDevice._meta.get_field("confirmed").verbose_name) != "confirmed"


def test_no_table_mixes_short_and_long_dates() -> None:
    """A partner's table showed "04.12.2026" beside "3 gennaio 2027": one table, one date style."""
    short, long = {"SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT"}, {"DATE_FORMAT", "DATETIME_FORMAT"}
    mixed = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for table in re.findall(r"<table.*?</table>", path.read_text(), re.S):
            formats = set(re.findall(r'\|date:"(\w+)"', table))
            if formats & short and formats & long:
                mixed.append(str(path))
    assert not mixed, mixed


# --- The API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", OFFERED)
def test_api_errors_follow_the_requests_accept_language(db: None, language: str) -> None:
    """A program names its language in Accept-Language; the `detail` of an error is in it (the
    `error` code stays the same for every language, for programs to test)."""
    english = Client().get(
        "/api/v1/newsletter/lists/",
        headers={"authorization": "Bearer xyz", "accept-language": "en"},
    )
    translated = Client().get(
        "/api/v1/newsletter/lists/",
        headers={"authorization": "Bearer xyz", "accept-language": language},
    )

    assert english.json()["error"] == translated.json()["error"] == "malformed_token"
    assert translated.json()["detail"] != english.json()["detail"]
