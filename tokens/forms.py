"""Input validation for the API token pages."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations import access
from organizations.models import Membership, Organization
from tokens.scopes import choices


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=64,
        help_text=_("What the token is for, for example “newsletter import script”."),
    )
    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.none(), empty_label=None
    )
    scope = forms.ChoiceField(
        label=_("Application"),
        choices=choices,
        help_text=_("The token reaches this application's API, and nothing else."),
    )
    validity = forms.ChoiceField(
        label=_("Validity"),
        choices=[("unlimited", _("Unlimited")), ("until", _("Until a date"))],
        initial="unlimited",
        widget=forms.RadioSelect,
        help_text=_("Whatever you choose, a token not used for a year is deactivated."),
    )
    expires_on = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Only with “Until a date”: the token stops working at the end of that day."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        organizations = self.fields["organization"]
        assert isinstance(organizations, forms.ModelChoiceField)
        organizations.queryset = Organization.objects.for_user(user).order_by("name")
        # What the organizations' policies refuse (2FA required...), said before anyone types.
        self.refusals = [
            refusal
            for membership in Membership.objects.for_user(user)
            .select_related("organization", "user")
            .order_by("organization__name")
            if (refusal := access.refusal_for(membership)) is not None
        ]

    def clean_organization(self) -> Organization:
        """A token acts for its organization: the access layer admits the person first."""
        organization: Organization = self.cleaned_data["organization"]
        try:
            access.acting_membership(self.user, organization)
        except access.PolicyRefused as refused:
            raise forms.ValidationError(refused.refusal.message) from refused
        return organization

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("validity") == "until":
            day = cleaned.get("expires_on")
            if day is None:
                self.add_error("expires_on", _("Choose the last day of validity."))
            elif day <= timezone.localdate():
                self.add_error("expires_on", _("Choose a day after today."))
            else:
                cleaned["expires_at"] = timezone.make_aware(datetime.combine(day, time.max))
        else:
            cleaned["expires_at"] = None
        return cleaned
