"""Organization pages. Every view is guarded by the access layer (`organizations.access`): another
organization's page is a 404, a lower role's attempt a 403, a refusal of the organization's
policies (2FA required) a redirect to their remedy."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.module_loading import import_string
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.reauth import is_recently_authenticated, reauth_redirect, require_recent_password
from accounts.services import EmailNotVerified
from core import ratelimit
from core.http import safe_next
from core.models import AuditEvent
from core.ratelimit import wait_message
from core.request_context import client_ip
from organizations import services
from organizations.access import org_member_required
from organizations.forms import (
    InviteForm,
    OrganizationCreateForm,
    OrganizationForm,
    OrganizationSignupForm,
    RoleForm,
    role_help,
)
from organizations.models import Invitation, Membership, Organization, Role


def _ensure_can_change(acting: Membership, target: Membership) -> None:
    """403 with the reason a person can act on: who may change this member instead."""
    if acting.can_change_membership(target):
        return
    if target.is_legal_representative and acting.can_manage_members:
        raise PermissionDenied(
            _("Only a legal representative can change or remove another legal representative.")
        )
    raise PermissionDenied


def _member_of(membership: Membership, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.for_member(membership).select_related("user"), pk=pk
    )


def home(request: HttpRequest) -> HttpResponse:
    """Signed in: the organization worked on last (or the first one); otherwise sign in."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    memberships = Membership.objects.for_user(request.user).select_related("organization")
    current = request.session.get("current_org")
    chosen = next((m for m in memberships if m.organization.slug == current), None) or next(
        iter(memberships.order_by("organization__name")), None
    )
    if chosen is None:
        return redirect("organizations:list")
    return redirect(chosen.organization)


SIGNUP_SESSION_KEY = "_portal_signup"


@sensitive_post_parameters("new_password1", "new_password2")
def signup(request: HttpRequest) -> HttpResponse:
    """Whether the address is new or has an account, the answer is the same "check your inbox"
    page and nobody is signed in: a new account gets the verification link, an existing one's
    owner an email saying someone tried. The person then verifies and signs in with the password
    they chose (the way back to an invitation is kept for that sign-in)."""
    if request.user.is_authenticated:
        return redirect("home")
    invitation = _invitation_of_next(safe_next(request, default=""))
    form = OrganizationSignupForm(request.POST or None, invitation=invitation)
    if request.method == "POST":
        verdict = ratelimit.attempt("signup-ip", client_ip(request) or "unknown")
        if not verdict.allowed:
            form.is_valid()
            form.add_error(None, wait_message(verdict.retry_after))
        elif form.is_valid():
            data = form.cleaned_data
            services.do_sign_up(
                email=data["email"],
                password=data["new_password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                organization_name=None if invitation else data["organization_name"],
                language=get_language() or "en",
            )
            request.session[SIGNUP_SESSION_KEY] = {
                "email": data["email"],
                "next": safe_next(request, default=""),
            }
            return redirect("organizations:signup-sent")
    return render(
        request,
        "organizations/signup.html",
        {
            "form": form,
            "next": request.GET.get("next") or request.POST.get("next", ""),
            "invitation": invitation,
        },
    )


def _invitation_of_next(next_url: str) -> Invitation | None:
    """The pending invitation whose page sign-up was opened from (its `next`), if any."""
    try:
        match = resolve(urlsplit(next_url).path)
    except Resolver404:
        return None
    if match.view_name != "organizations:invitation-accept":
        return None
    invitation = services.invitation_from_token(match.kwargs["token"])
    return invitation if invitation is not None and invitation.is_pending else None


def signup_sent(request: HttpRequest) -> HttpResponse:
    """ "Check your inbox", the same for a new address and a taken one."""
    sent = request.session.get(SIGNUP_SESSION_KEY)
    if not isinstance(sent, dict):
        return redirect("organizations:signup")
    return render(
        request,
        "organizations/signup_sent.html",
        {"email": sent.get("email", ""), "next": sent.get("next", "")},
    )


@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.for_user(request.user)
        .select_related("organization")
        .order_by("organization__name")
    )
    return render(request, "organizations/organization_list.html", {"memberships": memberships})


@login_required
def organization_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.do_create_organization(form.cleaned_data["name"], creator=request.user)
        except services.TooManyOrganizations as exc:
            hours = max(1, math.ceil(exc.retry_after / 3600))
            form.add_error(
                None,
                ngettext(
                    "You created several organizations today. You can create another one in "
                    "%(n)d hour.",
                    "You created several organizations today. You can create another one in "
                    "%(n)d hours.",
                    hours,
                )
                % {"n": hours},
            )
        else:
            messages.success(request, _("%(org)s is created.") % {"org": org.name})
            return redirect(org)
    return render(request, "organizations/organization_create.html", {"form": form})


@org_member_required
def dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    org = membership.organization
    counts = {
        "members": Membership.objects.for_org(org).count(),
        "invitations": sum(
            1
            for i in Invitation.objects.for_org(org).filter(accepted_at=None, revoked_at=None)
            if i.is_pending
        ),
    }
    # Cards of the apps built on organizations (tags, ...), named in the settings: this app
    # imports none of them.
    panels = [
        panel
        for path in settings.DASHBOARD_PANELS
        if (panel := import_string(path)(request, membership)) is not None
    ]
    return render(
        request,
        "organizations/dashboard.html",
        {"membership": membership, "org": org, "counts": counts, "panels": panels},
    )


@org_member_required(capability="can_edit_organization")
def organization_settings(
    request: AuthenticatedHttpRequest, membership: Membership
) -> HttpResponse:
    org = membership.organization
    form = OrganizationForm(request.POST or None, instance=Organization.objects.get(pk=org.pk))
    if request.method == "POST" and form.is_valid():
        services.do_update_organization(
            org,
            actor=request.user,
            **{f: form.cleaned_data[f] for f in form.Meta.fields},
        )
        messages.success(request, _("The organization's details are saved."))
        return redirect("organizations:settings", org.slug)
    return render(
        request,
        "organizations/organization_settings.html",
        {"membership": membership, "org": org, "form": form},
    )


@org_member_required(capability="can_read_audit_log")
def activity(request: HttpRequest, membership: Membership) -> HttpResponse:
    org = membership.organization
    events = AuditEvent.objects.filter(organization_id=org.pk).select_related("actor")
    page = Paginator(events, 25).get_page(request.GET.get("page"))
    return render(
        request, "organizations/activity.html", {"membership": membership, "org": org, "page": page}
    )


@org_member_required
def member_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    org = membership.organization
    members = Membership.objects.for_org(org).select_related("user").ordered_by_role()
    page = Paginator(members, 50).get_page(request.GET.get("page"))
    invitations = (
        [
            i
            for i in Invitation.objects.for_org(org).filter(accepted_at=None, revoked_at=None)
            if i.is_pending
        ]
        if membership.can_manage_members
        else []
    )
    # Counted by the database: the page shows 50 members, the organization may have thousands.
    legal_count = (
        Membership.objects.for_org(org)
        .filter(role=Role.LEGAL_REPRESENTATIVE, user__is_active=True)
        .count()
    )
    return render(
        request,
        "organizations/member_list.html",
        {
            "membership": membership,
            "org": org,
            "page": page,
            "invitations": invitations,
            "invite_form": InviteForm(acting=membership) if membership.can_manage_members else None,
            "only_one_legal_representative": legal_count == 1,
        },
    )


@org_member_required(capability="can_manage_members")
def member_invite(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    org = membership.organization
    # "Invite a new legal representative" (the way out of the rule) links here with ?role=.
    wanted = request.GET.get("role")
    initial = {"role": wanted} if wanted in membership.assignable_roles() else {}
    form = InviteForm(request.POST or None, acting=membership, initial=initial)
    if (
        request.method == "POST"
        and form.is_valid()
        and form.cleaned_data["role"] == Role.LEGAL_REPRESENTATIVE
        and not is_recently_authenticated(request)
    ):
        # A new legal representative gets every right over the organization: the password
        # first, as for changing a member's role (issue 13, defect 5).
        messages.info(request, _("Confirm your password to invite a legal representative."))
        invite_url = reverse("organizations:member-invite", args=[org.slug])
        return reauth_redirect(request, f"{invite_url}?role={Role.LEGAL_REPRESENTATIVE}")
    if request.method == "POST" and form.is_valid():
        # Both limits count the attempt; the later of the two says when to try again.
        verdicts = [
            ratelimit.attempt("invite", f"org:{org.pk}"),
            ratelimit.attempt("invite-person", f"user:{request.user.pk}"),
        ]
        if not all(v.allowed for v in verdicts):
            form.add_error(
                None,
                wait_message(max(v.retry_after for v in verdicts if not v.allowed)),
            )
        else:
            try:
                services.do_invite_member(
                    org,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    billing_rights=form.cleaned_data["billing_rights"],
                    actor=request.user,
                )
            except services.MembershipError as exc:
                form.add_error("email", str(exc))
            else:
                messages.success(
                    request,
                    _("We sent an invitation to %(email)s. It is valid for 7 days.")
                    % {"email": form.cleaned_data["email"]},
                )
                return redirect("organizations:member-list", org.slug)
    return render(
        request,
        "organizations/member_invite.html",
        {"membership": membership, "org": org, "form": form, "role_help": role_help()},
    )


@org_member_required
@require_recent_password
def member_role(request: AuthenticatedHttpRequest, membership: Membership, pk: int) -> HttpResponse:
    org = membership.organization
    target = _member_of(membership, pk)
    if target.pk == membership.pk:
        messages.error(request, _("You cannot change your own role."))
        return redirect("organizations:member-list", org.slug)
    _ensure_can_change(membership, target)
    form = RoleForm(
        request.POST or None,
        acting=membership,
        initial={"role": target.role, "billing_rights": target.billing_rights},
    )
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            services.do_change_role(
                target,
                role=form.cleaned_data["role"],
                billing_rights=form.cleaned_data["billing_rights"],
                actor=request.user,
            )
        except services.LegalRepresentativeRequired as exc:
            error = str(exc)
        except services.MembershipError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("The role of %(name)s is changed.") % {"name": target.user.get_full_name()},
            )
            return redirect("organizations:member-list", org.slug)
    return render(
        request,
        "organizations/member_role.html",
        {
            "membership": membership,
            "org": org,
            "target": target,
            "form": form,
            "legal_error": error,
            "role_help": role_help(),
        },
        status=409 if error else 200,
    )


@org_member_required
@require_recent_password
def member_remove(
    request: AuthenticatedHttpRequest, membership: Membership, pk: int
) -> HttpResponse:
    org = membership.organization
    target = _member_of(membership, pk)
    if target.pk == membership.pk:
        return redirect("organizations:leave", org.slug)
    _ensure_can_change(membership, target)
    error = None
    if request.method == "POST":
        try:
            services.do_remove_member(target, actor=request.user)
        except services.LegalRepresentativeRequired as exc:
            error = str(exc)
        except services.MembershipError as exc:
            messages.error(request, str(exc))
            return redirect("organizations:member-list", org.slug)
        else:
            messages.success(
                request,
                _("%(name)s is no longer a member of %(org)s.")
                % {"name": target.user.get_full_name(), "org": org.name},
            )
            return redirect("organizations:member-list", org.slug)
    return render(
        request,
        "organizations/member_remove.html",
        {"membership": membership, "org": org, "target": target, "legal_error": error},
        status=409 if error else 200,
    )


# Leaving needs no second factor: a member refused by the 2FA requirement may still go.
@org_member_required(policies=False)
def leave(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    org = membership.organization
    error = None
    if request.method == "POST":
        try:
            services.do_leave_organization(membership, actor=request.user)
        except services.LegalRepresentativeRequired as exc:
            error = str(exc)
        else:
            request.session.pop("current_org", None)
            messages.success(request, _("You left %(org)s.") % {"org": org.name})
            return redirect("home")
    return render(
        request,
        "organizations/leave.html",
        {"membership": membership, "org": org, "legal_error": error},
        status=409 if error else 200,
    )


@org_member_required(capability="can_manage_members")
@require_POST
def invitation_revoke(
    request: AuthenticatedHttpRequest, membership: Membership, pk: int
) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.for_member(membership), pk=pk)
    services.do_revoke_invitation(invitation, actor=request.user)
    messages.success(
        request, _("The invitation to %(email)s is withdrawn.") % {"email": invitation.email}
    )
    return redirect("organizations:member-list", membership.organization.slug)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link of an invitation email: a page with one button (no change on GET)."""
    invitation = services.invitation_from_token(token)
    context: dict[str, Any] = {"invitation": invitation, "token": token}
    if invitation is None or not invitation.is_pending:
        return render(request, "organizations/invitation_accept.html", context | {"invalid": True})
    user = request.user
    if user.is_authenticated:
        context["wrong_account"] = not invitation.is_for(user)
    if request.method == "POST" and user.is_authenticated:
        try:
            services.do_accept_invitation(invitation, user=user)
        except (services.MembershipError, EmailNotVerified) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("Welcome to %(org)s.") % {"org": invitation.organization.name}
            )
            return redirect(invitation.organization)
    return render(request, "organizations/invitation_accept.html", context)
