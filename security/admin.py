"""Support staff's review queue of identity-verification requests, and read-only 2FA records.

Documents are streamed by permission-checked admin views, never through a public URL.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path, reverse
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from core.admin import PortalModelAdmin
from security.forms import IdentityDecisionForm, sniff_document
from security.models import IdentityVerificationRequest, KAuthDevice, TOTPDevice
from security.recovery import DOCUMENT_FIELDS, do_decide_identity_verification

REVIEW_PERMISSION = "security.review_identityverificationrequest"


@admin.register(IdentityVerificationRequest)
class IdentityVerificationRequestAdmin(PortalModelAdmin):
    list_display = ["user", "status", "created_at", "waiting", "decided_by"]
    list_filter = ["status"]
    search_fields = ["user__email", "contact_phone"]
    ordering = ["status", "created_at"]
    fields = (
        "user",
        "status",
        "contact_phone",
        "message",
        "ip_address",
        "created_at",
        "decided_at",
        "decided_by",
        "reason",
    )
    readonly_fields = fields
    change_form_template = "admin/security/identity_request_change_form.html"

    @admin.display(description=_("waiting for"))
    def waiting(self, obj: IdentityVerificationRequest) -> str:
        return timesince(obj.created_at) if obj.is_pending else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(REVIEW_PERMISSION) or super().has_view_permission(request, obj)

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<int:pk>/document/<str:field>/",
                self.admin_site.admin_view(self.document_view),
                name=f"{prefix}_document",
            ),
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name=f"{prefix}_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if obj is not None and request.user.has_perm(REVIEW_PERMISSION):
            extra["documents"] = [
                {
                    "label": getattr(
                        IdentityVerificationRequest._meta.get_field(field), "verbose_name", field
                    ),
                    "url": reverse(
                        "admin:security_identityverificationrequest_document",
                        args=[obj.pk, field],
                    ),
                    "kind": sniff_document(getattr(obj, field)) if getattr(obj, field) else None,
                }
                for field in DOCUMENT_FIELDS
                if getattr(obj, field)
            ]
            extra["decision_form"] = IdentityDecisionForm() if obj.is_pending else None
            extra["decide_url"] = reverse(
                "admin:security_identityverificationrequest_decide", args=[obj.pk]
            )
        return super().change_view(request, object_id, form_url, extra)

    def document_view(self, request: HttpRequest, pk: int, field: str) -> HttpResponseBase:
        if not request.user.has_perm(REVIEW_PERMISSION) or field not in DOCUMENT_FIELDS:
            raise PermissionDenied
        obj = get_object_or_404(IdentityVerificationRequest, pk=pk)
        file = getattr(obj, field)
        if not file:
            raise Http404
        kind = sniff_document(file)
        content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "PDF": "application/pdf"}.get(
            kind or "", "application/octet-stream"
        )
        response = FileResponse(file.open("rb"), content_type=content_type)
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
        return response

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not request.user.has_perm(REVIEW_PERMISSION):
            raise PermissionDenied
        obj = get_object_or_404(IdentityVerificationRequest, pk=pk)
        form = IdentityDecisionForm(request.POST)
        approve = "approve" in request.POST
        change_url = reverse("admin:security_identityverificationrequest_change", args=[pk])
        if not form.is_valid() or (not approve and not form.cleaned_data["reason"].strip()):
            self.message_user(request, _("Give the reason of a rejection."), messages.ERROR)
            return redirect(change_url)
        do_decide_identity_verification(
            obj, approve=approve, reason=form.cleaned_data["reason"], actor=request.user
        )
        self.message_user(
            request,
            _("Approved: the person's two-factor methods are removed and they were told.")
            if approve
            else _("Rejected: the person was told why."),
        )
        return redirect(change_url)


class DeviceAdmin(PortalModelAdmin):
    """Which methods a person has (support answers "is my phone still registered?")."""

    list_display = ["name", "user", "confirmed", "created_at", "last_used_at"]
    search_fields = ["user__email", "name"]
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.register(TOTPDevice, DeviceAdmin)
admin.site.register(KAuthDevice, DeviceAdmin)
