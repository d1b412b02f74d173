"""SMS as a second factor: which numbers are accepted, and sending a code."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.views import wait_message
from portal import ratelimit, sms
from security.models import SMSDevice


class PhoneNotAccepted(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """The number in E.164 form, if it is valid and of a supported country."""
    try:
        number = phonenumbers.parse(raw, None if raw.strip().startswith("+") else "CH")
    except phonenumbers.NumberParseException as exc:
        raise PhoneNotAccepted(_("Enter a phone number, with its country code.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneNotAccepted(_("This is not a valid phone number."))
    region = phonenumbers.region_code_for_number(number)
    if region not in settings.SMS_ALLOWED_COUNTRIES:
        raise PhoneNotAccepted(
            _("SMS codes can be sent only to numbers of: %(countries)s.")
            % {"countries": ", ".join(settings.SMS_ALLOWED_COUNTRIES)}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def send_code(device: SMSDevice) -> str | None:
    """Send a new code to the device's number; a message to show when refused or failed."""
    verdict = ratelimit.attempt("sms-send", f"user:{device.user_id}")
    if not verdict.allowed:
        return wait_message(verdict.retry_after)
    code = device.new_code()
    with translation.override(device.user.language):
        text = _("Your sign-in code: %(code)s. It works once, for 5 minutes.") % {"code": code}
    try:
        sms.send(device.phone_number, text)
    except sms.SmsError:
        return _("The SMS could not be sent. Try again in a moment, or use another method.")
    return None
