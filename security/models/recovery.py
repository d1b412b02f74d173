"""Getting back in when nothing else works: an identity-verification request that support staff
review ("richiesta di assistenza" in the guides).

The documents live in private storage (settings.PRIVATE_STORAGE_DIR, never under a public URL),
are readable only through the admin by staff with the review permission, and are deleted as soon
as the request is decided; the decision record stays.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def private_storage() -> FileSystemStorage:
    # base_url=None: Django can build no URL for these files; they are only streamed by a view
    # that checks the reviewer's permission.
    return FileSystemStorage(location=settings.PRIVATE_STORAGE_DIR, base_url=None)


# The kinds of document accepted (read from the content: security.forms.sniff_document) and the
# extension each is stored under.
DOCUMENT_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "PDF": "pdf"}


def _upload_to(instance: IdentityVerificationRequest, filename: str) -> str:
    # The person's file name is never used: it could say anything, and it leaks nothing here. The
    # service names the upload after its content; anything else is stored as .bin.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in DOCUMENT_EXTENSIONS.values():
        extension = "bin"
    return f"identity/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{extension}"


class IdentityVerificationRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("identity check status", "Pending review")
        APPROVED = "approved", pgettext_lazy("identity check status", "Approved")
        REJECTED = "rejected", pgettext_lazy("identity check status", "Rejected")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="identity_requests",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    document_front = models.FileField(
        _("identity document, front"), storage=private_storage, upload_to=_upload_to, blank=True
    )
    document_back = models.FileField(
        _("identity document, back"), storage=private_storage, upload_to=_upload_to, blank=True
    )
    selfie = models.FileField(
        _("selfie holding the document"), storage=private_storage, upload_to=_upload_to, blank=True
    )
    contact_phone = models.CharField(_("contact phone"), max_length=32)
    message = models.TextField(_("message"), blank=True)
    ip_address = models.GenericIPAddressField(verbose_name=_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("identity verification request")
        verbose_name_plural = _("identity verification requests")
        permissions = [("review_identityverificationrequest", "Can review identity documents")]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="one_open_identity_request_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
