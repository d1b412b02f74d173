"""The security review (/security/): a checklist of the account's protections, each with its
status and the action that improves it, and the person's own recent security events.

It is also the last step of the "password compromised?" wizard (accounts.compromised), at
/security/compromised/review/, where it ends with the button that finishes the wizard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django_otp.models import Device

from accounts.inventory import UNUSED_AFTER, credential_inventories
from accounts.models import Session, User
from core.badges import Badge, Tone
from core.models import AuditEvent
from security.methods import emergency_device, methods_for
from security.models import SMSDevice

# Fewer emergency codes than this and the review (like the 2FA page) asks for new ones.
FEW_EMERGENCY_CODES = 4
EVENTS_PER_PAGE = 10
# What counts as a security event: the account, its sign-ins and every credential.
SECURITY_ACTIONS = ("user.", "two_factor.", "app_password.", "token.", "compromised_wizard.")


# A check's status as the badge's tone ("info" is the neutral badge).
BADGE_TONES: dict[str, Tone] = {"ok": "ok", "warn": "warn", "danger": "danger"}


@dataclass(frozen=True)
class Check:
    """One line of the checklist. `status` is ok, warn, danger or info (the badge's colour)."""

    key: str
    title: str
    status: str
    status_label: str
    summary: str
    action_label: str = ""
    action_url: str = ""
    action_post: bool = False  # the action is a button that posts (no state change on GET)
    flagged: list[str] = field(default_factory=list)  # names of unused credentials

    @property
    def badge(self) -> Badge:
        return Badge(self.status_label, BADGE_TONES.get(self.status, ""))


def security_checks(user: User, request: HttpRequest) -> list[Check]:
    """The checklist of `user` (the person signed in: nothing here reads another's data)."""
    # Read once for the three checks that look at the methods.
    methods = methods_for(user)
    checks = [
        _two_factor(methods),
        _emergency_codes(user, methods),
        _email(user),
        _phone(user, methods),
    ]
    checks.append(_sessions(user))
    now = timezone.now()
    for inv in credential_inventories():
        if not inv.in_review:
            continue
        items = inv.items(user, request)
        unused = [item.name for item in items if item.is_unused(now)]
        action = (_("Review"), reverse(inv.manage_url_name))
        if not items:
            checks.append(
                Check(inv.key, str(inv.label), "ok", str(inv.none_label), str(inv.empty_text))
            )
        elif unused:
            checks.append(
                Check(
                    inv.key,
                    str(inv.label),
                    "warn",
                    ngettext("%(n)d unused", "%(n)d unused", len(unused)) % {"n": len(unused)},
                    ngettext(
                        "%(what)s. %(n)d of them was not used for %(days)s, so it is probably no "
                        "longer needed: revoke it.",
                        "%(what)s. %(n)d of them were not used for %(days)s, so they are probably "
                        "no longer needed: revoke them.",
                        len(unused),
                    )
                    % {"what": inv.count_text(len(items)), "n": len(unused), "days": _days()},
                    *action,
                    flagged=unused,
                )
            )
        else:
            checks.append(
                Check(
                    inv.key,
                    str(inv.label),
                    "ok",
                    _("In use"),
                    _("%(what)s; each was used in the last %(days)s.")
                    % {"what": inv.count_text(len(items)), "days": _days()},
                    *action,
                )
            )
    return checks


def _days() -> str:
    """ "90 days": how long an unused credential is left alone before the review flags it."""
    days = UNUSED_AFTER.days
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def _two_factor(methods: list[Device]) -> Check:
    count = len(methods)
    manage = reverse("security:two-factor")
    if count:
        return Check(
            "two-factor",
            _("Two-factor authentication"),
            "ok",
            pgettext("two-factor authentication", "On"),
            ngettext("On, with %(n)d method.", "On, with %(n)d methods.", count) % {"n": count},
            _("Manage your methods"),
            manage,
        )
    return Check(
        "two-factor",
        _("Two-factor authentication"),
        "danger",
        pgettext("two-factor authentication", "Off"),
        _("With it, a stolen password is not enough to enter your account."),
        _("Turn it on"),
        manage,
    )


def _emergency_codes(user: User, methods: list[Device]) -> Check:
    title = _("Emergency codes")
    if not methods:
        return Check(
            "emergency-codes",
            title,
            "info",
            _("Not set up"),
            _("You get them when you turn on two-factor authentication."),
        )
    device = emergency_device(user)
    remaining = device.remaining if device else 0
    left = ngettext("%(n)d unused code left.", "%(n)d unused codes left.", remaining) % {
        "n": remaining
    }
    regenerate = (_("Create new emergency codes"), reverse("security:emergency-codes-regenerate"))
    if remaining == 0:
        return Check(
            "emergency-codes",
            title,
            "danger",
            _("None left"),
            _("Without them, losing your phone locks you out."),
            *regenerate,
        )
    if remaining < FEW_EMERGENCY_CODES:
        return Check("emergency-codes", title, "warn", _("Few left"), left, *regenerate)
    return Check("emergency-codes", title, "ok", _("Enough"), left)


def _email(user: User) -> Check:
    if user.is_email_verified:
        return Check("email", _("Email address"), "ok", _("Verified"), user.email)
    return Check(
        "email",
        _("Email address"),
        "warn",
        _("Not verified"),
        _("%(email)s: we cannot be sure our security messages reach you.") % {"email": user.email},
        _("Send the verification link again"),
        reverse("accounts:verify-email-resend"),
        action_post=True,
    )


def _phone(user: User, methods: list[Device]) -> Check:
    phones = [m for m in methods if isinstance(m, SMSDevice)]
    verified = min(phones, key=lambda phone: phone.pk) if phones else None
    if verified is not None:
        return Check("phone", _("Phone number"), "ok", _("Verified"), verified.masked_number)
    add = reverse("security:sms-add")
    if user.phone:
        return Check(
            "phone",
            _("Phone number"),
            "warn",
            _("Not verified"),
            _("%(phone)s has not received a code from us yet.") % {"phone": user.phone},
            _("Verify it with an SMS code"),
            add,
        )
    return Check(
        "phone",
        _("Phone number"),
        "warn",
        pgettext("phone number", "None"),
        _("A verified mobile number can receive sign-in codes by SMS."),
        _("Add a phone number"),
        add,
    )


def _sessions(user: User) -> Check:
    count = Session.objects.filter(user=user, expire_date__gt=timezone.now()).count()
    if count <= 1:
        return Check(
            "sessions",
            _("Active sessions"),
            "ok",
            _("Only this one"),
            _("You are signed in only here."),
        )
    return Check(
        "sessions",
        _("Active sessions"),
        "info",
        ngettext("%(n)d session", "%(n)d sessions", count) % {"n": count},
        _("Sign out of any browser you do not recognise."),
        _("See where you are signed in"),
        reverse("accounts:sessions"),
    )


def security_events(user: User) -> QuerySet[AuditEvent]:
    """The person's own security events, newest first."""
    actions = reduce(or_, (Q(action__startswith=prefix) for prefix in SECURITY_ACTIONS))
    return AuditEvent.objects.filter(actions, subject_user=user)
