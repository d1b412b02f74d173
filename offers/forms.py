"""Input of the "Post an offer request" page. The choices come from `offers.categories` (one place
to add a category, a region or a language); the rules the service also enforces (validity, past
deadline) are asked of `offers.services`, so both say the same thing."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from offers import services
from offers.categories import (
    BUDGETS,
    CATEGORIES,
    DEFAULT_VALIDITY_DAYS,
    LANGUAGES,
    MAX_VALIDITY_DAYS,
    REGIONS,
)
from offers.models import OfferRequest

CONTACT_HINT = _(
    "Taken from your profile: change them if partners should contact someone else. Partners see "
    "them only while the request is valid, never in the emails they receive."
)

REQUIRED_MESSAGES = {
    "title": _("Enter a title."),
    "description": _("Describe what you need."),
    "category": _("Choose a category."),
    "budget": _("Choose a budget, or “I do not know yet”."),
    "language": _("Choose a language."),
    "contact_name": _("Enter the name of the person partners should contact."),
    "contact_email": _("Enter the email address partners should write to."),
}


class OfferRequestForm(forms.ModelForm[OfferRequest]):
    validity_days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=MAX_VALIDITY_DAYS,
        initial=DEFAULT_VALIDITY_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    class Meta:
        model = OfferRequest
        fields = list(services.REQUEST_FIELDS)
        labels = {"contact_phone": _("Contact phone (optional)")}
        help_texts = {
            "title": _("In a few words, for example “A website for our restaurant”."),
            "description": _(
                "What you need, what exists already, anything a partner should know. Partners "
                "who take this category read it in the portal while your request is valid."
            ),
            "budget": _("An estimate helps partners propose something that fits."),
            "deadline": _("Optional: when the work should be done."),
            "region": _("Optional: where the partner should be, for example to meet you."),
            "language": _("The language partners should speak with you."),
            "contact_name": CONTACT_HINT,
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 8}),
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "contact_phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        language = getattr(user, "language", "")
        kwargs.setdefault(
            "initial",
            {
                "contact_name": user.full_name,
                "contact_email": user.email,
                "contact_phone": user.phone,
                "language": language if language in dict(LANGUAGES) else LANGUAGES[0][0],
                "validity_days": DEFAULT_VALIDITY_DAYS,
            },
        )
        super().__init__(*args, **kwargs)
        self._choices("category", [("", _("Choose a category")), *CATEGORIES])
        self._choices("budget", [("", _("Choose a budget")), *BUDGETS])
        self._choices("region", [("", _("Anywhere")), *REGIONS])
        self._choices("language", LANGUAGES)
        validity = self.fields["validity_days"]
        validity.help_text = ngettext(
            "From 1 to %(max)d day. Afterwards partners no longer see the request and we tell "
            "you by email.",
            "From 1 to %(max)d days. Afterwards partners no longer see the request and we tell "
            "you by email.",
            MAX_VALIDITY_DAYS,
        ) % {"max": MAX_VALIDITY_DAYS}
        wrong_validity = services.validity_message()
        for code in ("required", "invalid", "min_value", "max_value"):
            validity.error_messages[code] = wrong_validity
        for name, message in REQUIRED_MESSAGES.items():
            self.fields[name].error_messages["required"] = message

    def _choices(self, name: str, choices: list[Any]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean_deadline(self) -> date | None:
        day: date | None = self.cleaned_data.get("deadline")
        if message := services.deadline_error(day):
            raise forms.ValidationError(message)
        return day

    def clean_contact_phone(self) -> str:
        phone: str = self.cleaned_data.get("contact_phone", "").strip()
        allowed = set("0123456789+ ()-./")
        if phone and (set(phone) - allowed or sum(c.isdigit() for c in phone) < 6):
            raise forms.ValidationError(
                _("Enter a phone number with digits only, for example +41 21 000 00 00.")
            )
        return phone

    def service_data(self) -> dict[str, Any]:
        """What `services.do_post_request` takes."""
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields} | {
            "validity_days": self.cleaned_data["validity_days"]
        }
