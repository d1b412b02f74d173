"""Identity verification: the last way back in, reviewed by support staff.

Support never turns 2FA off on a simple request (the provider's rule): only an approved review of
an identity document and a selfie does, and the person is told by email either way.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core import ratelimit
from core.audit import record_event
from core.outbox import send_email
from core.request_context import current_request_meta
from security.audit_actions import SecurityAction
from security.forms import sniff_document
from security.methods import METHOD_MODELS
from security.models import EmergencyCodesDevice, IdentityVerificationRequest
from security.models.recovery import DOCUMENT_EXTENSIONS

DOCUMENT_FIELDS = ("document_front", "document_back", "selfie")


class RequestRefused(Exception):
    """One open request per person, and a few a day."""


def _named_after_content(upload: UploadedFile) -> UploadedFile:
    """The upload renamed after what its first bytes say it is: the client's name and extension
    are never trusted (a long extension once made storage refuse the name half-way)."""
    kind = sniff_document(upload)
    if kind is None:  # the form said so to the person already (security.forms.DocumentField)
        raise ValueError("an identity document must be a JPEG, PNG or PDF file")
    upload.name = f"document.{DOCUMENT_EXTENSIONS[kind]}"
    return upload


def do_request_identity_verification(
    user: User,
    *,
    document_front: UploadedFile,
    document_back: UploadedFile,
    selfie: UploadedFile,
    contact_phone: str,
    message: str,
) -> IdentityVerificationRequest:
    if IdentityVerificationRequest.objects.filter(
        user=user, status=IdentityVerificationRequest.Status.PENDING
    ).exists():
        raise RequestRefused("open")
    if not ratelimit.attempt("identity-request", f"user:{user.pk}").allowed:
        raise RequestRefused("rate")
    request = IdentityVerificationRequest(
        user=user,
        document_front=_named_after_content(document_front),
        document_back=_named_after_content(document_back),
        selfie=_named_after_content(selfie),
        contact_phone=contact_phone,
        message=message,
        ip_address=current_request_meta().ip,
    )
    # Saving writes the files one by one, before the row; whatever fails after the first one (a
    # file, the row, the audit, the email, the commit) must not leave identity documents behind.
    try:
        with transaction.atomic():
            request.save()
            record_event(
                SecurityAction.TWO_FACTOR_RECOVERY_REQUESTED,
                actor=user,
                target=request,
                subject_user=user,
            )
            send_email(
                "identity_request_received",
                to_user=user,
                key=f"identity-request-received:{request.pk}",
                context={"name": user.get_short_name()},
            )
    except BaseException as exc:
        _delete_documents(request)
        if isinstance(exc, IntegrityError):  # another request was opened at the same moment
            raise RequestRefused("open") from exc
        raise
    return request


def _delete_documents(request: IdentityVerificationRequest) -> None:
    """Delete the request's files from storage (those written already: an upload not yet saved
    has nothing in storage)."""
    for field in DOCUMENT_FIELDS:
        file = getattr(request, field)
        if file and file._committed:
            file.delete(save=False)


def do_decide_identity_verification(
    request: IdentityVerificationRequest, *, approve: bool, reason: str, actor: Any
) -> None:
    """Approve (the person's 2FA methods are removed so they can sign in with the password and
    set up 2FA again) or reject with a reason. The documents are deleted either way."""
    if not actor.has_perm("security.review_identityverificationrequest"):
        raise PermissionDenied
    with transaction.atomic():
        request = IdentityVerificationRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_pending:
            return
        user = request.user
        if approve:
            for model in METHOD_MODELS:
                model.objects.filter(user=user).delete()
            EmergencyCodesDevice.objects.filter(user=user).delete()
        request.status = (
            IdentityVerificationRequest.Status.APPROVED
            if approve
            else IdentityVerificationRequest.Status.REJECTED
        )
        request.reason = reason.strip()
        request.decided_at = timezone.now()
        request.decided_by = actor
        _delete_documents(request)
        request.save()
        record_event(
            SecurityAction.TWO_FACTOR_RECOVERY_APPROVED
            if approve
            else SecurityAction.TWO_FACTOR_RECOVERY_REJECTED,
            actor=actor,
            target=request,
            subject_user=user,
            data={"reason": request.reason},
        )
        send_email(
            "identity_request_approved" if approve else "identity_request_rejected",
            to_user=user,
            key=f"identity-request-decided:{request.pk}",
            context={
                "name": user.get_short_name(),
                "reason": request.reason,
                "url": reverse("accounts:login"),
            },
        )
