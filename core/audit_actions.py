"""The vocabulary of the audit log: which actions exist and what each means in the reader's words.

Each app declares the actions it writes in its own `audit_actions.py`, as a subclass of
`AuditAction` (a Django `TextChoices`): a stable identifier `<noun>.<verb>` that is stored, and
its label, shown on the activity pages and the security review:

    class TagAction(AuditAction):
        TAG_CREATED = "tag.created", _("Tag created")

`core.audit.record_event` takes only such a member, never a string, so an action cannot be
written without a label (the tests check that every label is translated in every language).
Renaming an identifier would orphan the events already stored under it: add a new action instead.
"""

from __future__ import annotations

from functools import cache

from django.db import models
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """The base of every app's actions (it has none of its own but the admin's, below)."""


class AdminAction(AuditAction):
    """Changes made by support staff in the admin (core.admin.record_admin_change)."""

    ADMIN_ADDED = "admin.added", _("Added by staff")
    ADMIN_CHANGED = "admin.changed", _("Changed by staff")
    ADMIN_DELETED = "admin.deleted", _("Deleted by staff")


def _subclasses(cls: type[AuditAction]) -> list[type[AuditAction]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


@cache
def all_actions() -> dict[str, AuditAction]:
    """Every action of every installed app, by identifier. Two apps declaring the same
    identifier is a mistake that stops here."""
    autodiscover_modules("audit_actions")  # each app's module, imported once
    actions: dict[str, AuditAction] = {}
    for cls in _subclasses(AuditAction):
        for action in cls:
            if action.value in actions:
                raise ValueError(f"The audit action {action.value!r} is declared twice.")
            actions[action.value] = action
    return actions


def action_label(action: str) -> str:
    """The label of a stored action; an identifier no app declares any more shows as itself."""
    known = all_actions().get(action)
    return str(known.label) if known is not None else action
