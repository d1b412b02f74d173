"""Every change to organizations and memberships, and the legal-representative rule.

The rule of the guides: "non è possibile rimuovere un responsabile legale se non c'è un altro
responsabile legale" — an organization always keeps at least one active legal representative.
Each path that could lower that count (remove, demote, leave, deactivate or delete the user) locks
the organization's row first (SELECT ... FOR UPDATE on PostgreSQL), then counts, then acts, all in
one transaction: two legal representatives removing each other at the same moment are serialised,
and the second one finds they would leave nobody and is refused.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.audit_actions import AccountAction
from accounts.models import User
from accounts.services import (
    EmailTaken,
    do_create_user,
    ensure_email_verified,
    tell_owner_of_sign_up_attempt,
)
from core import ratelimit
from core.audit import record_event
from core.outbox import send_email
from organizations.audit_actions import OrganizationAction
from organizations.models import Invitation, Membership, Organization, Role
from organizations.validators import validate_organization_name

INVITATION_VALIDITY = timedelta(days=7)
_INVITATION_SALT = "organizations.invitation"


class LegalRepresentativeRequired(Exception):
    """The change would leave an organization without a legal representative."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        super().__init__(
            _(
                "%(org)s must keep at least one legal representative. Appoint another legal "
                "representative first (invite one, or give the role to an existing member), "
                "then try again."
            )
            % {"org": organization.name}
        )


class MembershipError(Exception):
    """A change to members that cannot be made, with a message for the person who tried."""


class TooManyOrganizations(Exception):
    """A person created several organizations lately. Each organization has its own invitation
    limit, so creating organizations at will would multiply it (issue 11, finding 11)."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(retry_after)


# --- Organizations ------------------------------------------------------------------------------


# Words used by URLs under /orgs/ that are not organizations.
RESERVED_SLUGS = frozenset({"new"})


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "organization"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def do_create_organization(name: str, *, creator: User, **fields: Any) -> Organization:
    """Create an organization whose creator becomes its (first) legal representative. A person
    creates a few a day at most (TooManyOrganizations)."""
    validate_organization_name(name)  # every path, not only the forms: the name reaches inboxes
    verdict = ratelimit.attempt("organization-create", f"user:{creator.pk}")
    if not verdict.allowed:
        raise TooManyOrganizations(verdict.retry_after)
    with transaction.atomic():
        org = Organization.objects.create(name=name.strip(), slug=_unique_slug(name), **fields)
        Membership.objects.create(organization=org, user=creator, role=Role.LEGAL_REPRESENTATIVE)
        record_event(
            OrganizationAction.ORGANIZATION_CREATED,
            actor=creator,
            target=org,
            organization_id=org.pk,
        )
    return org


def do_update_organization(org: Organization, *, actor: User, **fields: Any) -> Organization:
    with transaction.atomic():
        membership = _actor_membership(org, actor)
        if not membership.can_edit_organization:
            raise PermissionDenied
        for name, value in fields.items():
            setattr(org, name, value)
        org.save(update_fields=list(fields))
        record_event(
            OrganizationAction.ORGANIZATION_UPDATED,
            actor=actor,
            target=org,
            organization_id=org.pk,
            data={"fields": sorted(fields)},
        )
    return org


def do_sign_up(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    organization_name: str | None,
    language: str,
) -> User | None:
    """A person signing up alone becomes legal representative of a new organization (the guides);
    one signing up from an invitation (`organization_name` None) gets no organization of their
    own, and joins the inviting one by accepting once signed in.

    Returns None, having created nothing, when the address has an account already: its owner is
    told by email instead. The caller answers both cases the same way ("check your inbox"), so
    sign-up does not reveal who has an account."""
    try:
        with transaction.atomic():
            user = do_create_user(
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                language=language,
            )
            if organization_name is not None:
                do_create_organization(organization_name, creator=user)
    except EmailTaken:
        # Hash the password anyway: a new account costs one hash, and so does a taken address,
        # so the time of the answer does not tell them apart either.
        make_password(password)
        with transaction.atomic():
            tell_owner_of_sign_up_attempt(email)
        return None
    return user


# --- The rule -----------------------------------------------------------------------------------


def _lock(org: Organization) -> Organization:
    """Lock the organization's row for the rest of the transaction (a no-op on SQLite, which
    serialises writers anyway)."""
    return Organization.objects.select_for_update().get(pk=org.pk)


def _ensure_other_legal_representative(org: Organization, leaving: Membership) -> None:
    """Refuse when `leaving` is the last active legal representative. Call with the org locked."""
    if not leaving.is_legal_representative:
        return
    others = (
        Membership.objects.filter(organization=org).legal_representatives().exclude(pk=leaving.pk)
    )
    if not others.exists():
        raise LegalRepresentativeRequired(org)


def _actor_membership(org: Organization, actor: User) -> Membership:
    membership = Membership.objects.filter(organization=org, user=actor).first()
    if membership is None:
        raise PermissionDenied
    return membership


def _fresh(membership: Membership) -> Membership:
    """Re-read a membership inside the locked transaction (it may have changed or gone)."""
    try:
        return Membership.objects.select_related("user", "organization").get(pk=membership.pk)
    except Membership.DoesNotExist as exc:
        raise MembershipError(_("This person is no longer a member.")) from exc


# --- Members ------------------------------------------------------------------------------------


def do_change_role(
    membership: Membership, *, role: str, billing_rights: bool = False, actor: User
) -> Membership:
    """Change a member's role. Only a legal representative grants or takes the legal-representative
    role; administrators manage the others; nobody changes their own role."""
    with transaction.atomic():
        org = _lock(membership.organization)
        membership = _fresh(membership)
        acting = _actor_membership(org, actor)
        if acting.pk == membership.pk:
            raise MembershipError(_("You cannot change your own role."))
        if not acting.can_change_membership(membership) or role not in acting.assignable_roles():
            raise PermissionDenied
        if role != Role.LEGAL_REPRESENTATIVE:
            _ensure_other_legal_representative(org, membership)
        old_role = membership.role
        billing_rights = billing_rights if role == Role.COLLABORATOR else False
        if (old_role, membership.billing_rights) == (role, billing_rights):
            return membership
        membership.role = role
        membership.billing_rights = billing_rights
        membership.save(update_fields=["role", "billing_rights"])
        event = record_event(
            OrganizationAction.MEMBER_ROLE_CHANGED,
            actor=actor,
            target=membership,
            organization_id=org.pk,
            subject_user=membership.user,
            data={"from": old_role, "to": role, "billing_rights": billing_rights},
        )
        send_email(
            "member_role_changed",
            to_user=membership.user,
            key=f"member-role-changed:{event.pk}",
            context={
                "organization": org.name,
                "old_role": Role(old_role).label,
                "new_role": Role(role).label,
                "billing_rights": billing_rights,
                "changed_by": actor.get_full_name(),
                "url": reverse("organizations:dashboard", args=[org.slug]),
            },
        )
    return membership


def do_remove_member(membership: Membership, *, actor: User) -> None:
    """Remove someone else from the organization (leaving is `do_leave_organization`)."""
    with transaction.atomic():
        org = _lock(membership.organization)
        membership = _fresh(membership)
        acting = _actor_membership(org, actor)
        if acting.pk == membership.pk:
            raise MembershipError(_("To leave the organization yourself, use “Leave”."))
        if not acting.can_change_membership(membership):
            raise PermissionDenied
        _ensure_other_legal_representative(org, membership)
        removed_user = membership.user
        event = record_event(
            OrganizationAction.MEMBER_REMOVED,
            actor=actor,
            target=membership,
            organization_id=org.pk,
            subject_user=removed_user,
            data={"role": membership.role},
        )
        membership.delete()
        send_email(
            "member_removed",
            to_user=removed_user,
            key=f"member-removed:{event.pk}",
            context={"organization": org.name, "removed_by": actor.get_full_name()},
        )


def do_leave_organization(membership: Membership, *, actor: User) -> None:
    with transaction.atomic():
        org = _lock(membership.organization)
        membership = _fresh(membership)
        if membership.user_id != actor.pk:
            raise PermissionDenied
        _ensure_other_legal_representative(org, membership)
        record_event(
            OrganizationAction.MEMBER_LEFT,
            actor=actor,
            target=membership,
            organization_id=org.pk,
            subject_user=actor,
            data={"role": membership.role},
        )
        membership.delete()


def _ensure_user_can_go(user: User) -> list[Organization]:
    """Lock every organization the user represents (in id order, against deadlocks) and refuse
    if the user is the last legal representative of any of them."""
    memberships = list(
        Membership.objects.filter(user=user, role=Role.LEGAL_REPRESENTATIVE)
        .select_related("organization")
        .order_by("organization_id")
    )
    locked = []
    for membership in memberships:
        org = _lock(membership.organization)
        _ensure_other_legal_representative(org, membership)
        locked.append(org)
    return locked


def organizations_left_without_legal_representative(user: User) -> list[Organization]:
    """Organizations that would lose their last legal representative if `user` went (no lock:
    for showing; the services check again under lock)."""
    return [
        m.organization
        for m in Membership.objects.filter(
            user=user, role=Role.LEGAL_REPRESENTATIVE
        ).select_related("organization")
        if not Membership.objects.filter(organization_id=m.organization_id)
        .legal_representatives()
        .exclude(pk=m.pk)
        .exists()
    ]


def do_deactivate_user(user: User, *, actor: User | None) -> None:
    """Deactivate an account (support staff). An inactive user no longer counts as a legal
    representative, so the rule applies here too."""
    with transaction.atomic():
        _ensure_user_can_go(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        user.sessions.all().delete()
        record_event(AccountAction.USER_DEACTIVATED, actor=actor, target=user, subject_user=user)


def do_delete_user(user: User, *, actor: User | None) -> None:
    """Delete an account and its memberships, unless an organization would lose its last legal
    representative."""
    with transaction.atomic():
        _ensure_user_can_go(user)
        record_event(
            AccountAction.USER_DELETED, actor=actor, target=user, data={"email": user.email}
        )
        user.delete()


# --- Invitations --------------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"id": invitation.pk}, salt=_INVITATION_SALT, compress=True)


def invitation_from_token(token: str) -> Invitation | None:
    """The invitation a link points to, or None when the link was tampered with or is too old."""
    try:
        payload = signing.loads(token, salt=_INVITATION_SALT, max_age=INVITATION_VALIDITY)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), int):
        return None
    return Invitation.objects.select_related("organization").filter(pk=payload["id"]).first()


def do_invite_member(
    org: Organization, *, email: str, role: str, billing_rights: bool = False, actor: User
) -> Invitation:
    """Invite someone by email. The link is signed, expires in a week and works once."""
    email = User.objects.normalize_email(email)
    with transaction.atomic():
        acting = _actor_membership(org, actor)
        if role not in acting.assignable_roles():
            raise PermissionDenied
        if Membership.objects.filter(organization=org, user__email=email).exists():
            raise MembershipError(_("This person is already a member."))
        now = timezone.now()
        # A new invitation to the same address replaces the pending one.
        Invitation.objects.filter(
            organization=org, email=email, accepted_at=None, revoked_at=None
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            organization=org,
            email=email,
            role=role,
            billing_rights=billing_rights if role == Role.COLLABORATOR else False,
            invited_by=actor,
            created_at=now,
            expires_at=now + INVITATION_VALIDITY,
        )
        record_event(
            OrganizationAction.MEMBER_INVITED,
            actor=actor,
            target=invitation,
            organization_id=org.pk,
            data={"email": email, "role": role},
        )
        existing = User.objects.find_by_email(email)
        send_email(
            "member_invited",
            to_user=existing,
            to=email,
            # An address without an account has no language of its own: the invitation goes out
            # in the inviter's, who most likely shares one with the person they invite.
            language=None if existing else actor.language,
            key=f"member-invited:{invitation.pk}",
            one_time_link=True,
            context={
                "organization": org.name,
                "role": Role(role).label,
                "invited_by": actor.get_full_name(),
                "url": reverse(
                    "organizations:invitation-accept", args=[invitation_token(invitation)]
                ),
                "expires_at": invitation.expires_at,
                "has_account": existing is not None,
            },
        )
    return invitation


def do_revoke_invitation(invitation: Invitation, *, actor: User) -> None:
    """Withdraw a pending invitation. An accepted or already withdrawn one stays as it is (and
    no event is written for a change that did not happen)."""
    with transaction.atomic():
        acting = _actor_membership(invitation.organization, actor)
        if not acting.can_manage_members:
            raise PermissionDenied
        revoked = Invitation.objects.filter(
            pk=invitation.pk, accepted_at=None, revoked_at=None
        ).update(revoked_at=timezone.now())
        if not revoked:
            return
        record_event(
            OrganizationAction.MEMBER_INVITATION_REVOKED,
            actor=actor,
            target=invitation,
            organization_id=invitation.organization_id,
        )


def do_accept_invitation(invitation: Invitation, *, user: User) -> Membership:
    """Join the organization. Only the account with the invited address can accept, once, and
    only once that address is verified: an account squatting someone's address must not join
    what was meant for the owner (EmailNotVerified)."""
    ensure_email_verified(user)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_pending:
            raise MembershipError(_("This invitation has expired or was already used."))
        if not invitation.is_for(user):
            raise MembershipError(
                _("This invitation was sent to another email address. Sign in with that address.")
            )
        if Membership.objects.filter(organization=invitation.organization, user=user).exists():
            raise MembershipError(_("You are already a member of this organization."))
        membership = Membership.objects.create(
            organization=invitation.organization,
            user=user,
            role=invitation.role,
            billing_rights=invitation.billing_rights,
        )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        record_event(
            OrganizationAction.MEMBER_JOINED,
            actor=user,
            target=membership,
            organization_id=invitation.organization_id,
            subject_user=user,
            data={"role": invitation.role},
        )
    return membership
