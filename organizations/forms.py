"""Input validation for organization pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import EmailAddressField, SignupForm
from organizations.models import Invitation, Membership, Organization, Role
from organizations.validators import validate_organization_name


class OrganizationForm(forms.ModelForm[Organization]):
    class Meta:
        model = Organization
        fields = ["name", "address", "postal_code", "city", "country", "email", "phone"]
        help_texts = {"country": _("Two letters, for example CH or IT.")}

    def clean_country(self) -> str:
        country: str = self.cleaned_data["country"].strip().upper()
        if country and not (len(country) == 2 and country.isalpha()):
            raise forms.ValidationError(_("Enter the two-letter country code, for example CH."))
        return country


class OrganizationSignupForm(SignupForm):
    """Sign-up creates the person's organization: its name follows the organization's rules.
    Signing up from an invitation (`invitation`) creates none: the person joins the inviting
    organization, with the invited address filled in."""

    def __init__(self, *args: Any, invitation: Invitation | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if invitation is not None:
            del self.fields["organization_name"]
            self.fields["email"].initial = invitation.email
        else:
            self.fields["organization_name"].validators.append(validate_organization_name)


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Organization name"), max_length=150, validators=[validate_organization_name]
    )


class RoleChoiceMixin(forms.Form):
    role = forms.ChoiceField(label=_("Role"), widget=forms.RadioSelect)
    billing_rights = forms.BooleanField(
        label=_("Can manage accounting"),
        required=False,
        help_text=_("Only for collaborators: invoices and billing notifications."),
    )

    def __init__(self, *args: Any, acting: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(r.value, r.label) for r in acting.assignable_roles()]


class InviteForm(RoleChoiceMixin):
    email = EmailAddressField(label=_("Email address"))
    field_order = ["email", "role", "billing_rights"]


class RoleForm(RoleChoiceMixin):
    pass


def role_help() -> list[tuple[Any, str]]:
    """What each role may do, shown beside the role choice."""
    return [
        (
            Role.LEGAL_REPRESENTATIVE.label,
            str(
                _(
                    "Everything, including appointing other legal "
                    "representatives. There is always at least one."
                )
            ),
        ),
        (
            Role.ADMINISTRATOR.label,
            str(_("Manages members (except legal representatives), products and billing.")),
        ),
        (
            Role.COLLABORATOR.label,
            str(_("Works on the products given to them; with accounting rights, also on billing.")),
        ),
        (
            Role.EXTERNAL.label,
            str(_("A person outside the organization with access to the products given to them.")),
        ),
    ]
