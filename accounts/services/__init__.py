"""Every change to an account: creation, email verification, passwords, profile, sessions."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlsafe_base64_encode
from django.utils.module_loading import import_string
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.audit_actions import AccountAction
from accounts.login import forget_known_browsers
from accounts.models import Session, User
from core import ratelimit
from core.audit import record_event
from core.outbox import send_email

EMAIL_VERIFICATION_MAX_AGE = 60 * 60 * 24 * 3  # three days
_VERIFY_SALT = "accounts.verify-email"


class EmailTaken(Exception):
    """An account with this address exists already."""


class EmailNotVerified(Exception):
    """The action needs a verified email address (issue 11, finding 4): whoever signs up with an
    address they do not own must get no credential and no organization out of it."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Verify your email address first: open the link we sent you by email. "
                "You can ask for a new link."
            )
        )


def ensure_email_verified(user: User) -> None:
    """The one check of the services that mint a credential or let a person join an
    organization. Reads the row, not the caller's copy, which may predate a verification."""
    if not User.objects.filter(pk=user.pk, email_verified_at__isnull=False).exists():
        raise EmailNotVerified


def do_create_user(
    *, email: str, password: str, first_name: str = "", last_name: str = "", language: str = "en"
) -> User:
    """Create an account and send the email-verification link. Raises EmailTaken when the
    address (in its canonical form) has an account already, even under a concurrent sign-up."""
    email = User.objects.normalize_email(email)
    with transaction.atomic():
        if User.objects.filter(email=email).exists():
            raise EmailTaken(email)
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email, password, first_name=first_name, last_name=last_name, language=language
                )
        except IntegrityError as exc:
            # A sign-up with the same address committed between the check and the insert: the
            # unique constraint on the canonical address decides, and the caller hears the
            # same answer.
            raise EmailTaken(email) from exc
        record_event(AccountAction.USER_SIGNED_UP, actor=user, target=user, subject_user=user)
        send_verification_email(user)
    return user


def tell_owner_of_sign_up_attempt(email: str) -> None:
    """Someone tried to sign up with an address that has an account. The page they see says
    nothing of it (it answers "check your inbox" whatever the address); the owner is told what
    to do if it was them. At most one such email an hour per account, so sign-ups cannot be used
    to flood someone's inbox."""
    user = User.objects.find_by_email(email)
    if user is None:  # the account went away in the meantime: nobody to tell
        return
    send_email(
        "sign_up_attempt",
        to_user=user,
        # The hour is the due date here: one key per account and hour is the limit itself.
        key=f"sign-up-attempt:{user.pk}:{timezone.now():%Y-%m-%dT%H}",
        context={
            "name": user.get_short_name(),
            "email": user.email,
            "login_url": reverse("accounts:login"),
            "reset_url": reverse("accounts:password-reset"),
        },
    )


def email_verification_token(user: User) -> str:
    # The address is part of the payload: a link sent to an old address stops working once the
    # address changes.
    return signing.dumps({"id": user.pk, "email": user.email}, salt=_VERIFY_SALT, compress=True)


def send_verification_email(user: User) -> None:
    token = email_verification_token(user)
    send_email(
        "verify_email",
        to_user=user,
        # One email per link: the link is what the email is about (a new one is a new email).
        key=f"verify-email:{user.pk}:{hashlib.sha256(token.encode()).hexdigest()[:32]}",
        one_time_link=True,
        context={
            "url": reverse("accounts:verify-email", args=[token]),
            "name": user.get_short_name(),
        },
    )


def do_verify_email(token: str) -> User | None:
    """Mark the address verified. None when the link is tampered with, too old or outdated."""
    try:
        payload = signing.loads(token, salt=_VERIFY_SALT, max_age=EMAIL_VERIFICATION_MAX_AGE)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=payload.get("id"), email=payload.get("email")).first()
    if user is None:
        return None
    if user.email_verified_at is None:
        with transaction.atomic():
            _mark_email_verified(user, proof="verification_link")
    return user


def _mark_email_verified(user: User, *, proof: str) -> None:
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    record_event(
        AccountAction.USER_EMAIL_VERIFIED,
        actor=user,
        target=user,
        subject_user=user,
        data={"proof": proof},
    )


def do_update_profile(user: User, *, actor: User, **fields: Any) -> User:
    """Change a person's details: by themselves (the profile page) or by support staff (the
    admin), in which case the person is emailed which details changed (not the new values: the
    email may be read by someone else) — nobody's account changes behind their back."""
    with transaction.atomic():
        changed = sorted(k for k, v in fields.items() if getattr(user, k) != v)
        if not changed:
            return user
        for name in changed:
            setattr(user, name, fields[name])
        user.save(update_fields=changed)
        event = record_event(
            AccountAction.USER_PROFILE_UPDATED,
            actor=actor,
            target=user,
            subject_user=user,
            data={"fields": changed},
        )
        if actor.pk != user.pk:
            with translation.override(user.language or settings.LANGUAGE_CODE):
                labels = [
                    capfirst(str(getattr(User._meta.get_field(name), "verbose_name", name)))
                    for name in changed
                ]
            send_email(
                "profile_changed_by_staff",
                to_user=user,
                key=f"profile-changed-by-staff:{event.pk}",
                context={
                    "name": user.get_short_name(),
                    "fields": labels,
                    "url": reverse("accounts:profile"),
                },
            )
    return user


def do_set_language(user: User, language: str) -> None:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def do_change_password(
    user: User, new_password: str, *, actor: User, keep_session_key: str | None
) -> int:
    """Set a new password, sign out every other session and tell the user by email.

    Returns how many other sessions were ended. The current session (if any) is kept; the view
    must call `update_session_auth_hash` so it stays valid.
    """
    with transaction.atomic():
        return _set_password(
            user, new_password, actor=actor, keep_session_key=keep_session_key, revoked=0
        )


def do_reset_password(user: User, new_password: str) -> int:
    """The end of "forgot your password": the person followed the link sent to the address, which
    proves they control it. So the address becomes verified (if it was not), and the application
    passwords and API tokens created before it was verified are revoked: whoever signed up with
    somebody else's address and minted them keeps no way in (issue 11, finding 4). Every session
    is signed out; the email says how many credentials were revoked. Returns that number."""
    with transaction.atomic():
        if user.email_verified_at is None:
            _mark_email_verified(user, proof="password_reset")
        assert user.email_verified_at is not None
        revoked: int = sum(
            import_string(path)(user, user.email_verified_at, actor=user)
            for path in settings.PRE_VERIFICATION_CREDENTIAL_REVOKERS
        )
        _set_password(user, new_password, actor=user, keep_session_key=None, revoked=revoked)
    return revoked


def _set_password(
    user: User, new_password: str, *, actor: User, keep_session_key: str | None, revoked: int
) -> int:
    # accounts.inventory imports these services (the wizard revokes sessions through them).
    from accounts.inventory import still_working_after_a_new_password

    user.set_password(new_password)
    user.save(update_fields=["password"])
    ended = end_other_sessions(user, keep_session_key=keep_session_key)
    # Bound to the old password already; deleted so that no copy of a cookie lingers as a row.
    forget_known_browsers(user)
    # Counted for the email in the reader's language (the counts are sentences: "2 API tokens").
    with translation.override(user.language or settings.LANGUAGE_CODE):
        still = still_working_after_a_new_password(user)
    event = record_event(
        AccountAction.USER_PASSWORD_CHANGED,
        actor=actor,
        target=user,
        subject_user=user,
        data={"other_sessions_ended": ended, "credentials_revoked": revoked},
    )
    send_email(
        "password_changed",
        to_user=user,
        key=f"password-changed:{event.pk}",
        context={
            "name": user.get_short_name(),
            "url": reverse("accounts:password-reset"),
            "revoked": revoked,
            "still_working": still,
            "wizard_url": reverse("compromised:password"),
        },
    )
    return ended


def end_other_sessions(user: User, *, keep_session_key: str | None) -> int:
    qs = Session.objects.filter(user=user)
    if keep_session_key:
        qs = qs.exclude(session_key=keep_session_key)
    count, _ = qs.delete()
    return count


def do_end_sessions(user: User, *, keep_session_key: str | None, actor: User) -> int:
    """ "Sign out of all other sessions"."""
    with transaction.atomic():
        ended = end_other_sessions(user, keep_session_key=keep_session_key)
        record_event(
            AccountAction.USER_SESSIONS_ENDED,
            actor=actor,
            target=user,
            subject_user=user,
            data={"count": ended},
        )
    return ended


def do_end_session(user: User, session_key: str, *, actor: User) -> bool:
    with transaction.atomic():
        deleted, _ = Session.objects.filter(user=user, session_key=session_key).delete()
        if deleted:
            record_event(
                AccountAction.USER_SESSION_ENDED, actor=actor, target=user, subject_user=user
            )
    return bool(deleted)


def do_reactivate_user(user: User, *, actor: User | None) -> None:
    """Let a deactivated account sign in again (support staff, in the admin)."""
    with transaction.atomic():
        user.is_active = True
        user.save(update_fields=["is_active"])
        record_event(AccountAction.USER_REACTIVATED, actor=actor, target=user, subject_user=user)


def do_request_password_reset(email: str, *, ip: str | None) -> None:
    """Email a reset link if the account exists. Says nothing either way, to the caller or in
    timing that matters: the email is queued, not sent, within the request."""
    user = User.objects.find_by_email(email)
    if user is None or not user.is_active or not user.has_usable_password():
        return
    if not ratelimit.attempt("password-reset", f"user:{user.pk}").allowed:
        return
    with transaction.atomic():
        uid = urlsafe_base64_encode(str(user.pk).encode())
        token = default_token_generator.make_token(user)
        event = record_event(
            AccountAction.USER_PASSWORD_RESET_REQUESTED, actor=None, target=user, subject_user=user
        )
        send_email(
            "password_reset",
            to_user=user,
            key=f"password-reset:{event.pk}",
            one_time_link=True,
            context={
                "name": user.get_short_name(),
                "url": reverse("accounts:password-reset-confirm", args=[uid, token]),
            },
        )


def reset_token_generator() -> PasswordResetTokenGenerator:
    # Django's token embeds the password hash and last login: it stops working once used, and
    # after PASSWORD_RESET_TIMEOUT (one hour).
    generator: PasswordResetTokenGenerator = default_token_generator
    return generator
