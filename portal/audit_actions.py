"""What each audit action means, in the user's words (shown on activity pages).

Actions are stable identifiers `<noun>.<verb>` written by the services; add the label of a new one
here. An action without a label is shown as its identifier.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, Promise] = {
    "user.signed_up": _("Account created"),
    "user.email_verified": _("Email address verified"),
    "user.login_failed": _("Failed sign-in attempt"),
    "user.password_changed": _("Password changed"),
    "user.password_reset_requested": _("Password reset requested"),
    "user.profile_updated": _("Profile updated"),
    "admin.added": _("Added by staff"),
    "admin.changed": _("Changed by staff"),
    "admin.deleted": _("Deleted by staff"),
    "user.sessions_ended": _("Other sessions signed out"),
    "user.session_ended": _("A session was signed out"),
    "user.deactivated": _("Account deactivated"),
    "user.reactivated": _("Account reactivated"),
    "user.deleted": _("Account deleted"),
    "compromised_wizard.started": _("Password changed because it was thought compromised"),
    "compromised_wizard.completed": _("Password-compromised steps completed"),
    "two_factor.method_added": _("Two-factor method added"),
    "two_factor.method_removed": _("Two-factor method removed"),
    "two_factor.method_replaced": _("Two-factor method moved to a new device"),
    "two_factor.method_renamed": _("Two-factor method renamed"),
    "two_factor.disabled": _("Two-factor authentication turned off"),
    "two_factor.failed": _("Wrong two-factor code"),
    "two_factor.codes_limited": _("Too many wrong two-factor codes: someone knows the password"),
    "two_factor.emergency_code_used": _("Emergency code used"),
    "two_factor.emergency_codes_regenerated": _("New emergency codes"),
    "two_factor.kauth_registered": _("kAuth app registered"),
    "two_factor.kauth_approved": _("Sign-in approved on kAuth"),
    "two_factor.kauth_denied": _("Sign-in denied on kAuth"),
    "two_factor.kauth_failed": _("Wrong number picked on kAuth"),
    "two_factor.kauth_answer_refused": _("kAuth answer refused"),
    "two_factor.recovery_requested": _("Assistance requested (identity check)"),
    "two_factor.recovery_approved": _("Identity check approved"),
    "two_factor.recovery_rejected": _("Identity check rejected"),
    "app_password.created": _("Application password created"),
    "app_password.revoked": _("Application passwords revoked"),
    "token.created": _("API token created"),
    "token.revoked": _("API tokens revoked"),
    "token.leaked_revoked": _("API token revoked after it was found in the wild"),
    "token.deactivated_unused": _("API tokens deactivated after a year without use"),
    "organization.created": _("Organization created"),
    "organization.updated": _("Organization details changed"),
    "member.invited": _("Member invited"),
    "member.invitation_revoked": _("Invitation withdrawn"),
    "member.joined": _("Member joined"),
    "member.role_changed": _("Role changed"),
    "member.removed": _("Member removed"),
    "member.left": _("Member left"),
    "product.auto_renew_changed": _("Automatic renewal turned on or off"),
    "product.assignees_changed": _("Product given to collaborators"),
    "contact.updated": _("Owner contact details changed"),
    "billing_details.updated": _("Billing details changed"),
    "balance.credited": _("Credit added to the balance"),
    "payment.recorded": _("Payment recorded"),
    "product.renewed": _("Product renewed automatically"),
    "product.renewal_failed": _("Automatic renewal not possible: balance too low"),
    "billing_preferences.updated": _("Billing notification preferences changed"),
    "tag.created": _("Tag created"),
    "tag.updated": _("Tag renamed or recoloured"),
    "tag.deleted": _("Tag deleted"),
    "tag.merged": _("Tag merged into another"),
    "offer_request.posted": _("Offer request posted"),
    "offer_request.cancelled": _("Offer request cancelled"),
    "offer_request.closed": _("Offer request closed"),
    "offer_request.deleted": _("Offer request deleted"),
    "offer_request.proposal_chosen": _("Proposal chosen, offer request closed"),
    "offer_request.expired": _("Offer request expired"),
    "offer_request.hidden": _("Offer request hidden by support"),
    "offer_request.proposal_sent": _("Proposal sent to an offer request"),
    "offer_request.reported": _("Offer request reported"),
    "offer_request.report_resolved": _("Report on an offer request resolved"),
    "partner.settings_updated": _("Partner settings changed"),
    "partner.status_granted": _("Partner status granted"),
    "partner.status_withdrawn": _("Partner status withdrawn"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
