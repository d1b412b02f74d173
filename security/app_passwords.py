"""Application passwords: creating, revoking, and checking them for mail/CalDAV/CardDAV servers.

The check answers allow or deny the same way whatever was wrong, and costs about the same: a
well-formed application password is looked up by its digest; anything else is checked as the
account password (argon2, against a dummy hash when the address is unknown), which is refused for
people with two-factor authentication — that is why application passwords exist.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import ensure_email_verified
from core import ratelimit
from core.audit import record_event
from core.crypto import digest
from core.outbox import send_email
from security.audit_actions import SecurityAction
from security.methods import has_two_factor
from security.models.app_passwords import ApplicationPassword, AppService

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes: easy to type on a phone
GROUPS, GROUP_LENGTH = 5, 6  # 30 characters, about 148 random bits
_DUMMY_HASH = make_password("an account password that nobody has")


def generate() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH))
    return "-".join(raw[i : i + GROUP_LENGTH] for i in range(0, len(raw), GROUP_LENGTH))


def normalize(password: str) -> str:
    return "".join(ch for ch in password.lower() if ch.isalnum())


def looks_like_app_password(password: str) -> bool:
    raw = normalize(password)
    return len(raw) == GROUPS * GROUP_LENGTH and all(ch in ALPHABET for ch in raw)


def do_create_app_password(
    user: User, *, name: str, services: list[str], actor: User
) -> tuple[ApplicationPassword, str]:
    """Returns the new password in clear, to show once. Raises EmailNotVerified while the
    person's address is not verified."""
    ensure_email_verified(user)
    secret = generate()
    with transaction.atomic():
        created = ApplicationPassword.objects.create(
            user=user,
            name=name.strip()[:64],
            digest=digest(normalize(secret)),
            services=[s for s in AppService.values if s in services],
        )
        event = record_event(
            SecurityAction.APP_PASSWORD_CREATED, actor=actor, target=created, subject_user=user
        )
        send_email(
            "app_password_created",
            to_user=user,
            key=f"app_password_created:{event.pk}",
            context={
                "name": user.get_short_name(),
                "password_name": created.name,
                "url": reverse("security:app-passwords"),
            },
        )
    return created, secret


def do_revoke_app_passwords(user: User, ids: list[int] | None, *, actor: User) -> int:
    """Revoke some (ids) or all (None) of the person's active application passwords."""
    with transaction.atomic():
        active = ApplicationPassword.objects.filter(user=user, revoked_at=None)
        if ids is not None:
            active = active.filter(pk__in=ids)
        single = active.first() if ids is not None and len(ids) == 1 else None
        count = active.update(revoked_at=timezone.now())
        if count:
            record_event(
                SecurityAction.APP_PASSWORD_REVOKED,
                actor=actor,
                target=single,
                subject_user=user,
                data={"count": count},
            )
    return count


def do_revoke_app_passwords_created_before(user: User, moment: datetime, *, actor: User) -> int:
    """Revoke the application passwords created before `moment` (the address's verification:
    see accounts.services.do_reset_password). Returns how many."""
    ids = list(
        ApplicationPassword.objects.filter(
            user=user, revoked_at=None, created_at__lt=moment
        ).values_list("pk", flat=True)
    )
    return do_revoke_app_passwords(user, ids, actor=actor) if ids else 0


def find_for_api(email: str, password: str) -> ApplicationPassword | None:
    """The application password (made for the REST API) of this login, for HTTP Basic."""
    if not looks_like_app_password(password):
        return None
    found = (
        ApplicationPassword.objects.select_related("user")
        .filter(digest=digest(normalize(password)), revoked_at=None)
        .first()
    )
    if (
        found is None
        or not found.user.is_active
        or found.user.email != User.objects.normalize_email(email)
        or AppService.API not in found.services
    ):
        return None
    return found


def check_service_login(email: str, password: str, service: str, *, ip: str | None) -> bool:
    """May this login use `service`? Records the last use of an application password.

    `ip` is the end user's address as the mail server saw it (or the server's own). Every check
    is counted before it runs (parallel guesses can't all be tried) and a success gives its
    counts back, so only refusals use up the limits: per account and address (tight), per
    account from anywhere (loose), so a stranger guessing from elsewhere does not stop the
    owner's mail for long.
    """
    if service not in AppService.values or not email or not password or len(password) > 256:
        return False
    if "\x00" in email or "\x00" in password:
        return False
    account = User.objects.normalize_email(email)
    limits = [
        ("app-password-check", f"{account}|{ip}"),
        # Over all accounts from one address: random addresses each cost a (dummy) hash.
        ("app-password-ip", f"{ip}"),
        ("app-password-account", account),
    ]
    if not ratelimit.attempt_all(limits).allowed:
        return False
    allowed = _check(account, password, service, ip=ip)
    if allowed:
        for limit, ident in limits:
            ratelimit.release(limit, ident)
    return allowed


def _check(email: str, password: str, service: str, *, ip: str | None) -> bool:
    user = User.objects.find_by_email(email)
    if looks_like_app_password(password):
        found = ApplicationPassword.objects.filter(
            Q(digest=digest(normalize(password))), revoked_at=None
        ).first()
        if found is None or user is None or found.user_id != user.pk or not user.is_active:
            return False
        if service not in found.services:
            return False
        ApplicationPassword.objects.filter(pk=found.pk).update(
            last_used_at=timezone.now(), last_used_ip=ip, last_used_service=service
        )
        return True
    # The account password: the same argon2 cost whether or not the account exists.
    ok = check_password(password, user.password if user else _DUMMY_HASH)
    return bool(ok and user is not None and user.is_active and not has_two_factor(user))
