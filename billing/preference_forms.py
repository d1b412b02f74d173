"""The form of the billing notification preferences (the guide's two blocks).

The page posts the whole form on every change (htmx) or with its Save button: an unticked box is
simply absent, so every post carries the complete state and the service can compare it with what
is stored.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from billing.models import REMINDER_LEAD_DAYS, NotificationPreference
from billing.recipients import Choices


def lead_day_label(days: int) -> str:
    """ "30 days before", and for the longest lead the guide's "up to two months"."""
    text = ngettext("%(days)d day before", "%(days)d days before", days) % {"days": days}
    if days == 60:
        return gettext("%(text)s (two months)") % {"text": text}
    return text


def lead_day_choices() -> list[tuple[int, str]]:
    """Called when the form is rendered, so the labels are in the reader's language."""
    return [(days, lead_day_label(days)) for days in REMINDER_LEAD_DAYS]


class NotificationPreferenceForm(forms.Form):
    renewal_reminders = forms.BooleanField(
        label=NotificationPreference._meta.get_field("renewal_reminders").verbose_name,
        required=False,
    )
    lead_days = forms.TypedMultipleChoiceField(
        label=_("When to remind me"),
        help_text=_("Choose one or more, up to two months before the renewal date."),
        choices=lead_day_choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _(
                "%(value)s is not one of the lead times offered. Choose among 60, 30, 15, 7 "
                "and 1 days."
            ),
        },
    )
    auto_renew_reminder = forms.BooleanField(
        label=_("A reminder 14 days before an automatic renewal"), required=False
    )
    renewal_confirmation = forms.BooleanField(
        label=_("Confirmation of the renewal and of the automatic debit"), required=False
    )
    invoice_issued = forms.BooleanField(
        label=_("A notification when an invoice is issued"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels after checkboxes read without a colon
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("renewal_reminders") and "lead_days" in data and not data["lead_days"]:
            self.add_error(
                "lead_days",
                _("Choose at least one lead time, or switch the reminder emails off."),
            )
        return data

    @classmethod
    def initial_from(cls, choices: Choices) -> dict[str, Any]:
        return {
            "renewal_reminders": choices.renewal_reminders,
            "lead_days": list(choices.lead_days),
            "auto_renew_reminder": choices.auto_renew_reminder,
            "renewal_confirmation": choices.renewal_confirmation,
            "invoice_issued": choices.invoice_issued,
        }

    @property
    def reminders_on(self) -> bool:
        """Whether the lead times are shown: the posted switch, else the stored choice."""
        if self.is_bound:
            return bool(self["renewal_reminders"].value())
        return bool(self.initial.get("renewal_reminders"))
