"""Input validation for account pages."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from accounts.addresses import canonical_email, validate_ascii_local_part
from accounts.models import User
from core import ratelimit
from core.ratelimit import wait_message

if TYPE_CHECKING:  # django-stubs' helper types exist for the type checker only
    from django_stubs_ext import StrOrPromise


class EmailAddressField(forms.EmailField):
    """A new address (sign-up, invitation, reset request): cleaned to its canonical form, and
    refused with a clear message when its local part is not ASCII, where a look-alike of
    someone else's address would hide."""

    def to_python(self, value: Any) -> str:
        # Folded before Django's syntax check, so full-width letters are letters to it.
        return canonical_email(super().to_python(value))

    def validate(self, value: Any) -> None:
        super().validate(value)
        # Here rather than among the validators, so "josé@" gets this message and not also
        # Django's "Enter a valid email address".
        if value:
            validate_ascii_local_part(value)


class SignInEmailField(forms.CharField):
    """The address typed to sign in: only folded to the canonical form, never refused for its
    characters. An address with no account (a look-alike among them) just does not match, and
    the page says what it says for a wrong password."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault("widget", forms.EmailInput(attrs={"autocomplete": "username"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return canonical_email(super().to_python(value))


class LoginForm(forms.Form):
    email = SignInEmailField(label=_("Email address"))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class NewPasswordMixin(forms.Form):
    """Two fields for a new password, checked against the validators of the settings."""

    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        help_text=_("At least 12 characters. A sentence you can remember works well."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("Confirm the new password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_user: User | None = None

    def clean_new_password2(self) -> str:
        p1 = self.cleaned_data.get("new_password1")
        p2: str = self.cleaned_data["new_password2"]
        if p1 and p1 != p2:
            raise forms.ValidationError(_("The two passwords are not the same."))
        if p1:
            password_validation.validate_password(p1, self.password_user)
        return p2


class SignupForm(NewPasswordMixin):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = EmailAddressField(
        label=_("Email address"),
        help_text=_("You will sign in with it. We send a link to verify it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    organization_name = forms.CharField(
        label=_("Organization name"),
        max_length=150,
        help_text=_("Your company or your own name. You become its legal representative."),
    )
    field_order = ["first_name", "last_name", "email", "organization_name"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Similarity to the name and address is checked against an unsaved user.
        self.password_user = User(
            email=cleaned.get("email", ""),
            first_name=cleaned.get("first_name", ""),
            last_name=cleaned.get("last_name", ""),
        )
        p1 = cleaned.get("new_password1")
        if p1 and "new_password2" not in self.errors:
            try:
                password_validation.validate_password(p1, self.password_user)
            except forms.ValidationError as exc:
                self.add_error("new_password1", exc)
        return cleaned

    def clean_new_password2(self) -> str:
        # Validators run in clean(), once the name and address are known.
        p1 = self.cleaned_data.get("new_password1")
        p2: str = self.cleaned_data["new_password2"]
        if p1 and p1 != p2:
            raise forms.ValidationError(_("The two passwords are not the same."))
        return p2


def check_current_password(user: User, password: str, *, wrong: StrOrPromise) -> None:
    """The one check of a signed-in person's password (re-authentication, password change, the
    "password compromised?" wizard): the guess is counted against the "reauth" limit *before*
    the password is checked, so parallel guesses from a stolen session cannot all be tried; the
    count starts again once the right password is given."""
    verdict = ratelimit.attempt("reauth", f"user:{user.pk}")
    if not verdict.allowed:
        raise forms.ValidationError(wait_message(verdict.retry_after), code="rate_limited")
    if not user.check_password(password):
        raise forms.ValidationError(wrong, code="wrong_password")
    ratelimit.reset("reauth", f"user:{user.pk}")


class PasswordChangeForm(NewPasswordMixin):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["old_password", "new_password1", "new_password2"]

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.password_user = user

    def clean_old_password(self) -> str:
        old: str = self.cleaned_data["old_password"]
        assert self.password_user is not None
        check_current_password(
            self.password_user, old, wrong=_("This is not your current password.")
        )
        return old

    def clean(self) -> dict[str, Any]:
        """Refuse the current password as the new one: whoever changes it (often because it may
        be known to someone else, as in the "password compromised?" wizard) must not keep it.
        Compared as text, and only once the current password is proved (`old_password` is in
        cleaned_data only then), so this never tells a guesser anything the limited
        current-password check did not. A reset does not refuse it: with no current password
        proved, the reset page would answer "is this the password?" to whoever holds the link,
        outside every sign-in limit."""
        cleaned = super().clean() or {}
        old, new = cleaned.get("old_password"), cleaned.get("new_password1")
        if old and new and hmac.compare_digest(old.encode(), new.encode()):
            self.add_error(
                "new_password1", _("The new password must be different from your current one.")
            )
        return cleaned


class SetPasswordForm(NewPasswordMixin):
    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.password_user = user


class PasswordResetRequestForm(forms.Form):
    email = EmailAddressField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        check_current_password(self.user, password, wrong=_("This is not your password."))
        return password


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "language"]
        widgets = {
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }
        help_texts = {"phone": _("With the country code, for example +41 21 000 00 00.")}

    def clean_phone(self) -> str:
        phone = "".join(self.cleaned_data["phone"].split())
        if phone and not (phone.startswith("+") and phone[1:].isdigit() and 8 <= len(phone) <= 16):
            raise forms.ValidationError(
                _("Enter the number with its country code, for example +41 21 000 00 00.")
            )
        return phone


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
