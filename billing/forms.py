"""Input validation for the product and contact pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from accounts.models import User
from billing.models import EXPIRING_SOON_DAYS, BillingAccount, Contact, ProductKind
from billing.services import ASSIGNABLE_ROLES, BILLING_DETAIL_FIELDS, CONTACT_FIELDS
from organizations.models import Organization


class ProductFilterForm(forms.Form):
    """The filters of the products list (a GET form). A value that does not validate is simply
    not applied: a hand-edited address shows the list, never an error page."""

    q = forms.CharField(label=_("Search by name"), required=False, max_length=253)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *ProductKind.choices],
    )
    expiring = forms.ChoiceField(
        label=_("Expiry"),
        required=False,
        choices=[
            ("", _("Any date")),
            (
                str(EXPIRING_SOON_DAYS),
                ngettext_lazy("Expires within %(n)d day", "Expires within %(n)d days", "n")
                % {"n": EXPIRING_SOON_DAYS},
            ),
        ],
    )
    auto_renew = forms.ChoiceField(
        label=_("Automatic renewal"),
        required=False,
        choices=[
            ("", _("On or off")),
            ("on", pgettext_lazy("automatic renewal", "On")),
            ("off", pgettext_lazy("automatic renewal", "Off")),
        ],
    )

    def filters(self) -> dict[str, str]:
        """The valid, non-empty filters (call after `is_valid()`, whatever it returned)."""
        data = getattr(self, "cleaned_data", {})
        return {name: value.strip() for name, value in data.items() if value and value.strip()}


class AutoRenewForm(forms.Form):
    auto_renew = forms.TypedChoiceField(
        label=_("Automatic renewal"),
        choices=[
            ("on", _("On: renew on the expiry date, debited from the balance")),
            ("off", pgettext_lazy("automatic renewal", "Off")),
        ],
        coerce=lambda value: value == "on",
        widget=forms.RadioSelect,
    )


class MemberChoiceField(forms.ModelMultipleChoiceField[User]):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


class AssigneesForm(forms.Form):
    """Which collaborators and externals of the organization the product is given to (legal
    representatives and administrators see every product anyway). Only members of this
    organization are choices: any other id is refused as an invalid choice."""

    assignees = MemberChoiceField(
        label=_("Given to"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Collaborators and externals see only the products given to them."),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignees"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = User.objects.filter(
            memberships__organization=organization,
            memberships__role__in=ASSIGNABLE_ROLES,
        ).order_by("first_name", "last_name", "email")


class MemberChoice(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


def _clean_country(value: str) -> str:
    country = value.strip().upper()
    if country and not (len(country) == 2 and country.isalpha()):
        raise forms.ValidationError(_("Enter the two-letter country code, for example CH."))
    return country


class ContactForm(forms.ModelForm[Contact]):
    class Meta:
        model = Contact
        fields = list(CONTACT_FIELDS)
        field_classes = {"user": MemberChoice}
        help_texts = {
            "company": _("For a company: its name exactly as registered."),
            "country": _("Two letters, for example CH or IT."),
        }
        labels = {"user": _("Member of the organization")}
        widgets = {"kind": forms.RadioSelect}

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(memberships__organization=organization).order_by(
            "first_name", "last_name", "email"
        )
        field.empty_label = _("None: the owner is not a member")
        field.help_text = _(
            "When the owner is a person who is a member of the organization, choose them: the "
            "product then stays with the organization."
        )

    def clean_country(self) -> str:
        return _clean_country(self.cleaned_data["country"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Contact.Kind.COMPANY and not (data.get("company") or "").strip():
            self.add_error("company", _("Enter the company's name: the owner is a company."))
        return data


class BillingDetailsForm(forms.ModelForm[BillingAccount]):
    class Meta:
        model = BillingAccount
        fields = list(BILLING_DETAIL_FIELDS)
        help_texts = {
            "name": _("The name printed on invoices."),
            "email": _("Where invoices are sent."),
            "country": _("Two letters, for example CH or IT."),
        }

    def clean_country(self) -> str:
        return _clean_country(self.cleaned_data["country"])
