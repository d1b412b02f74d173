"""SMS as a second factor: which numbers are accepted, and sending a code."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from core import ratelimit, sms
from core.ratelimit import wait_message
from core.request_context import current_request_meta
from security.models import SMSDevice

# What phonenumbers calls a number that takes SMS. FIXED_LINE_OR_MOBILE is where a country's plan
# cannot tell the two apart (none of the supported countries today; the US, for one): accepted,
# and the gateway's own refusal then applies. Premium rate, shared cost, toll free, landlines,
# VoIP, pagers and personal numbers are refused: texting them is how SMS pumping earns.
MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


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
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise PhoneNotAccepted(_("Enter a mobile number: SMS codes cannot be sent to this number."))
    region = phonenumbers.region_code_for_number(number)
    if region not in settings.SMS_ALLOWED_COUNTRIES:
        raise PhoneNotAccepted(
            _("SMS codes can be sent only to numbers of: %(countries)s.")
            % {"countries": ", ".join(settings.SMS_ALLOWED_COUNTRIES)}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def send_code(device: SMSDevice) -> str | None:
    """Send a new code to the device's number; a message to show when refused or failed.

    Spends from the person's budget and the address's (over all accounts: sign-up makes accounts
    cheaply), then, in `core.sms.send`, the number's and the portal's (issue 12, finding 8)."""
    verdict = ratelimit.attempt_all(
        [
            ("sms-send", f"user:{device.user_id}"),
            ("sms-address", current_request_meta().ip or "unknown"),
        ]
    )
    if not verdict.allowed:
        return wait_message(verdict.retry_after)
    code = device.new_code()
    with translation.override(device.user.language):
        text = _("Your sign-in code: %(code)s. It works once, for 5 minutes.") % {"code": code}
    try:
        sms.send(device.phone_number, text, unproven=not device.confirmed)
    except sms.SmsBudgetSpent as refused:
        if refused.portal_wide:
            return _("SMS codes cannot be sent right now. Use another method, or try again later.")
        return wait_message(refused.retry_after)
    except sms.SmsError:
        return _("The SMS could not be sent. Try again in a moment, or use another method.")
    return None
