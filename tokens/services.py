"""Every change to API tokens (create, revoke, regenerate, and the one-year rule), and the
additions to the example Newsletter API within its quotas."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import ngettext

from accounts.models import User
from accounts.services import ensure_email_verified
from core.audit import record_event
from core.crypto import digest
from core.outbox import send_email
from organizations import access
from organizations.models import Organization
from tokens import format as token_format
from tokens.audit_actions import TokenAction
from tokens.authentication import recent_tokens
from tokens.models import UNUSED_LIMIT, ApiToken, MailingList, Subscriber
from tokens.scopes import SCOPES

WARN_BEFORE = timedelta(days=30)


def do_create_token(
    user: User,
    *,
    organization: Organization,
    name: str,
    scope: str,
    expires_at: datetime | None,
    actor: User,
) -> tuple[ApiToken, str]:
    """Returns the token and its secret in clear, to show once. Raises EmailNotVerified while the
    address of the person the token is for is not verified, PermissionDenied unless the person is
    a member whom the organization's policies admit (`organizations.access`: PolicyRefused)."""
    if scope not in SCOPES:
        raise ValueError(scope)
    ensure_email_verified(user)
    access.acting_membership(user, organization)  # a member, admitted by the org's policies
    secret = token_format.generate()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            organization=organization,
            name=name.strip()[:64],
            scope=scope,
            digest=digest(secret),
            hint=secret[-4:],
            expires_at=expires_at,
        )
        event = record_event(
            TokenAction.TOKEN_CREATED,
            actor=actor,
            target=token,
            organization_id=organization.pk,
            subject_user=user,
            data={"scope": scope},
        )
        send_email(
            "token_created",
            to_user=user,
            key=f"token_created:{event.pk}",
            context={
                "name": user.get_short_name(),
                "token_name": token.name,
                "scope": token.scope_label,
                "organization": organization.name,
                "url": reverse("tokens:list"),
            },
        )
    return token, secret


def do_revoke_tokens(user: User, ids: list[int], *, actor: User) -> int:
    with transaction.atomic():
        count = ApiToken.objects.filter(user=user, pk__in=ids, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        if count:
            record_event(
                TokenAction.TOKEN_REVOKED, actor=actor, subject_user=user, data={"count": count}
            )
    # At once in this process; the others forget their copies within seconds.
    recent_tokens.clear()
    return count


def do_revoke_tokens_created_before(user: User, moment: datetime, *, actor: User) -> int:
    """Revoke the tokens created before `moment` (the address's verification: see
    accounts.services.do_reset_password). Returns how many."""
    ids = list(
        ApiToken.objects.filter(user=user, revoked_at=None, created_at__lt=moment).values_list(
            "pk", flat=True
        )
    )
    return do_revoke_tokens(user, ids, actor=actor) if ids else 0


def do_revoke_leaked(secrets_found: list[str]) -> int:
    """Tokens found in the wild (a public repository, a paste): revoke the valid ones and tell
    their owners. Returns how many were revoked (the caller never says it)."""
    digests = {digest(s) for s in secrets_found if token_format.is_well_formed(s)}
    if not digests:
        return 0
    now = timezone.now()
    with transaction.atomic():
        leaked = list(
            ApiToken.objects.select_for_update()
            .filter(digest__in=digests, revoked_at=None)
            .select_related("user")
        )
        ApiToken.objects.filter(pk__in=[t.pk for t in leaked]).update(revoked_at=now)
        recent_tokens.clear()
        for token in leaked:
            event = record_event(
                TokenAction.TOKEN_LEAKED_REVOKED,
                actor=None,
                target=token,
                organization_id=token.organization_id,
                subject_user=token.user,
            )
            send_email(
                "token_leaked",
                to_user=token.user,
                key=f"token_leaked:{event.pk}",
                context={
                    "name": token.user.get_short_name(),
                    "token_name": token.name,
                    "url": reverse("tokens:list"),
                },
            )
    return len(leaked)


def do_regenerate_token(token: ApiToken, *, actor: User) -> tuple[ApiToken, str]:
    """A deactivated or expired token again, with the same name, scope and organization (and
    the same length of validity, from now): a new secret, the old one stays dead."""
    if token.status not in (ApiToken.Status.DEACTIVATED, ApiToken.Status.EXPIRED):
        raise PermissionDenied
    expires_at = (
        timezone.now() + (token.expires_at - token.created_at) if token.expires_at else None
    )
    with transaction.atomic():
        # Claim the old token: of two requests regenerating it at once, one creates a token.
        if not ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
            revoked_at=timezone.now()
        ):
            raise PermissionDenied
        recent_tokens.clear()
        return do_create_token(
            token.user,
            organization=token.organization,
            name=token.name,
            scope=token.scope,
            expires_at=expires_at,
            actor=actor,
        )


def _subject_to_the_rule(now: datetime) -> QuerySet[ApiToken]:
    """Tokens that still work (expired ones stopped already: nobody is told twice)."""
    return ApiToken.objects.filter(revoked_at=None, deactivated_at=None).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def warn_unused_tokens(now: datetime | None = None) -> int:
    """Tell owners 30 days before a token is deactivated for lack of use. One UPDATE claims the
    tokens to warn (so a re-run warns nobody twice), then each owner gets an email."""
    now = now or timezone.now()
    # Past its year already (the job did not run for a while): no warning with a date in the past,
    # the deactivation tells the owner.
    due = _subject_to_the_rule(now).filter(
        active_since__lt=now - (UNUSED_LIMIT - WARN_BEFORE),
        active_since__gte=now - UNUSED_LIMIT,
    )
    count = due.filter(warned_at=None).update(warned_at=now)
    for token in due.filter(warned_at=now).select_related("user"):
        send_email(
            "token_unused_warning",
            to_user=token.user,
            key=f"token_unused_warning:{token.pk}:{token.active_since.date()}",
            context={
                "name": token.user.get_short_name(),
                "token_name": token.name,
                "deactivates_at": token.deactivates_at,
                "url": reverse("tokens:list"),
            },
        )
    return count


def deactivate_unused_tokens(now: datetime | None = None) -> int:
    """The one-year rule as one set-based UPDATE (fast with millions of tokens, thanks to the
    index on (deactivated_at, revoked_at, active_since)); then each owner is told."""
    now = now or timezone.now()
    count = (
        _subject_to_the_rule(now)
        .filter(active_since__lt=now - UNUSED_LIMIT)
        .update(deactivated_at=now)
    )
    recent_tokens.clear()
    for token in ApiToken.objects.filter(
        revoked_at=None, deactivated_at=now, active_since__lt=now - UNUSED_LIMIT
    ).select_related("user"):
        send_email(
            "token_deactivated",
            to_user=token.user,
            key=f"token_deactivated:{token.pk}",
            context={
                "name": token.user.get_short_name(),
                "token_name": token.name,
                "url": reverse("tokens:list"),
            },
        )
    if count:
        record_event(TokenAction.TOKEN_DEACTIVATED_UNUSED, actor=None, data={"count": count})
    return count


# --- The example Newsletter: lists and subscribers within their quotas ---------------------------
# `settings.NEWSLETTER_MAX_LISTS` lists an organization, `settings.NEWSLETTER_MAX_SUBSCRIBERS`
# subscribers a list (issue 12, finding 3: a list of 300,000 subscribers, read in one page, took a
# worker to 1.4 GiB; pages are bounded too, `core.api.BoundedPagination`). Each quota is counted
# under a lock on the row that owns the count (the organization, the list), so parallel requests
# cannot each see room for one more and together overshoot it. Not audited, as before: the
# example API's content is the organization's data, not a security event.


class QuotaExceeded(Exception):
    """The addition would pass a quota; the message says which, to the person."""


@transaction.atomic
def do_create_mailing_list(organization: Organization, name: str) -> MailingList:
    Organization.objects.select_for_update().get(pk=organization.pk)
    quota = settings.NEWSLETTER_MAX_LISTS
    if MailingList.objects.for_org(organization).count() >= quota:
        raise QuotaExceeded(
            ngettext(
                "An organization can have at most %(count)s mailing list.",
                "An organization can have at most %(count)s mailing lists.",
                quota,
            )
            % {"count": number_format(quota, force_grouping=True)}
        )
    return MailingList.objects.create(organization=organization, name=name)


@transaction.atomic
def do_subscribe(mailing_list: MailingList, email: str, name: str = "") -> Subscriber:
    MailingList.objects.select_for_update().get(pk=mailing_list.pk)
    quota = settings.NEWSLETTER_MAX_SUBSCRIBERS
    if Subscriber.objects.filter(mailing_list=mailing_list).count() >= quota:
        raise QuotaExceeded(
            ngettext(
                "A mailing list can have at most %(count)s subscriber.",
                "A mailing list can have at most %(count)s subscribers.",
                quota,
            )
            % {"count": number_format(quota, force_grouping=True)}
        )
    return Subscriber.objects.create(mailing_list=mailing_list, email=email, name=name)
