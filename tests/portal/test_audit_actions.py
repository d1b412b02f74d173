"""The audit vocabulary: every action an app can write is declared with a label, translated in every
language, and `record_event` writes nothing else (issue 17: two actions were written without a
label, so the organization's activity page showed their raw identifiers)."""

from __future__ import annotations

import gc
import re

import pytest
from django.conf import settings
from django.utils import translation

from accounts.models import User
from core.audit import record_event
from core.audit_actions import AuditAction, action_label, all_actions
from core.models import AuditEvent
from organizations.models import Organization
from security import services as security_services
from security.audit_actions import SecurityAction
from tests.conftest import signed_in

TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# Each app declares what it writes in its own module.
APPS_WITH_ACTIONS = {
    "accounts",
    "billing",
    "offers",
    "organizations",
    "core",
    "security",
    "tags",
    "tokens",
}


def test_every_app_that_writes_events_declares_its_actions() -> None:
    declared_by = {type(action).__module__.split(".")[0] for action in all_actions().values()}

    assert declared_by == APPS_WITH_ACTIONS
    assert "organization.two_factor_required" in all_actions()
    assert "organization.two_factor_optional" in all_actions()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_action_has_a_label_in_every_language(language: str) -> None:
    untranslated = []
    for identifier, action in all_actions().items():
        with translation.override("en"):
            english = str(action.label)
        with translation.override(language):
            if str(action.label) == english:
                untranslated.append(identifier)

    assert english
    assert untranslated == []


def test_identifiers_are_noun_dot_verb_and_fit_the_column() -> None:
    max_length = AuditEvent._meta.get_field("action").max_length
    assert max_length is not None
    for identifier in all_actions():
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", identifier), identifier
        assert len(identifier) <= max_length, identifier


def test_two_apps_cannot_declare_the_same_identifier() -> None:
    class Clash(AuditAction):  # what an app copying another's action would write
        TAG_CREATED = "tag.created", "Tag created"

    all_actions.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"tag\.created"):
            all_actions()
    finally:
        # Python forgets a subclass once nothing refers to it any more.
        del Clash
        gc.collect()
        all_actions.cache_clear()
    assert type(all_actions()["tag.created"]).__name__ == "TagAction"


def test_record_event_refuses_a_string(alice: User) -> None:
    with pytest.raises(TypeError, match="AuditAction"):
        record_event("user.signed_up", actor=alice)  # type: ignore[arg-type]

    assert not AuditEvent.objects.exists()


def test_an_unknown_stored_identifier_shows_as_itself() -> None:
    assert action_label("gone.away") == "gone.away"
    with translation.override("en"):
        assert action_label("user.signed_up") == "Account created"


def test_the_activity_page_names_the_two_factor_rule_in_italian(
    alice: User, acme: Organization
) -> None:
    security_services.do_set_organization_requirement(acme, True, actor=alice)
    security_services.do_set_organization_requirement(acme, False, actor=alice)
    alice.language = "it"
    alice.save(update_fields=["language"])

    page = signed_in(alice).get("/orgs/acme/activity/").content.decode()

    assert "organization.two_factor" not in page
    with translation.override("it"):
        assert str(SecurityAction.ORGANIZATION_TWO_FACTOR_REQUIRED.label) in page
        assert str(SecurityAction.ORGANIZATION_TWO_FACTOR_OPTIONAL.label) in page
