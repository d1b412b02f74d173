"""django-otp names the fields of its abstract models (user, name, confirmed, the throttling and
timestamp fields) in English only, and its catalogues have no Italian, French, German or Spanish
for them, so support staff read them in English on every device page of the admin.

The same English texts, here, as lazy translations from our catalogues: `translate_fields` swaps
them in at start-up. The English stays identical, so migrations see no change.
"""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

LABELS = {
    "user": (_("user"), _("The user that this device belongs to.")),
    "name": (_("name"), _("The human-readable name of this device.")),
    "confirmed": (_("confirmed"), _("Is this device ready for use?")),
    "throttling_failure_timestamp": (
        _("throttling failure timestamp"),
        _("A timestamp of the last failed verification attempt. Null if last attempt succeeded."),
    ),
    "throttling_failure_count": (
        _("throttling failure count"),
        _("Number of successive failed attempts."),
    ),
    "created_at": (
        _("created at"),
        _("The date and time when this device was initially created in the system."),
    ),
    "last_used_at": (_("last used at"), _("The most recent date and time this device was used.")),
}


def translate_fields(model: type[models.Model]) -> None:
    """Give `model`'s fields inherited from django-otp our translated label and help text."""
    for field in model._meta.get_fields():
        if field.name in LABELS and not isinstance(getattr(field, "verbose_name", ""), Promise):
            label, help_text = LABELS[field.name]
            field.verbose_name = label  # type: ignore[union-attr]
            field.help_text = help_text  # type: ignore[union-attr]
