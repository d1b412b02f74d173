"""Getting back in with an identity check: the request after the password, the review in the admin,
and what the decision does. Documents are private and deleted once decided."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from core.models import AuditEvent, Notification
from organizations.support import SUPPORT_GROUP
from security.models import EmergencyCodesDevice, IdentityVerificationRequest, TOTPDevice
from security.recovery import DOCUMENT_FIELDS
from tests.conftest import signed_in, with_authenticator
from tests.factories import PASSWORD, UserFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"\x00" * 64


def _files(**override: bytes) -> dict[str, SimpleUploadedFile]:
    contents = {"document_front": JPEG, "document_back": PDF, "selfie": PNG, **override}
    return {
        name: SimpleUploadedFile(f"{name}.jpg", data, content_type="image/jpeg")
        for name, data in contents.items()
    }


def _password_step(user: User) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert response["Location"] == "/security/verify/"
    return client


@pytest.fixture
def locked_out(alice: User) -> User:
    """alice lost her phone: an authenticator app and emergency codes she cannot use."""
    with_authenticator(alice)
    EmergencyCodesDevice.objects.create(user=alice, name="Emergency codes").replace_codes()
    return alice


@pytest.fixture
def reviewer(db: Any) -> User:
    user = UserFactory.create(email="support@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    return user


def _send(client: Client, **override: Any) -> Any:
    data: dict[str, Any] = {"contact_phone": "+41 79 000 00 00", "message": "Phone stolen"}
    data.update(_files())
    data.update(override)
    return client.post("/security/recovery/", data)


def test_request_needs_the_password_first(db: Any) -> None:
    response = Client().get("/security/recovery/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_request_is_stored_privately_and_acknowledged(locked_out: User) -> None:
    client = _password_step(locked_out)

    response = _send(client)

    assert response.status_code == 302
    assert response.url == "/security/recovery/sent/"
    request = IdentityVerificationRequest.objects.get(user=locked_out)
    assert request.is_pending
    front = Path(request.document_front.path)
    assert front.is_relative_to(Path(settings.PRIVATE_STORAGE_DIR))
    assert not front.is_relative_to(Path(settings.STATIC_ROOT))
    assert "document_front" not in front.name  # the uploaded name is not kept
    assert front.read_bytes() == JPEG
    assert Notification.objects.filter(kind="identity_request_received").exists()
    # Still not signed in: the request changes nothing by itself.
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("field", "content"),
    [("document_front", b"GIF89a" + b"\x00" * 20), ("selfie", b"<html>not a picture</html>")],
)
def test_request_refuses_files_whose_content_is_not_jpeg_png_or_pdf(
    locked_out: User, field: str, content: bytes
) -> None:
    client = _password_step(locked_out)

    response = _send(client, **{field: SimpleUploadedFile("photo.jpg", content, "image/jpeg")})

    assert response.status_code == 200
    assert "not a JPEG or PNG picture, nor a PDF" in response.content.decode()
    assert not IdentityVerificationRequest.objects.exists()


def test_request_refuses_files_over_ten_megabytes(locked_out: User) -> None:
    client = _password_step(locked_out)
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (10 * 1024 * 1024), "image/png")

    response = _send(client, selfie=big)

    assert "larger than 10 MB" in response.content.decode()
    assert not IdentityVerificationRequest.objects.exists()


def test_only_one_open_request_per_person(locked_out: User) -> None:
    client = _password_step(locked_out)
    _send(client)

    response = _send(client)

    assert IdentityVerificationRequest.objects.filter(user=locked_out).count() == 1
    assert "waiting for review" in response.content.decode()


def test_documents_are_not_reachable_without_the_review_permission(
    locked_out: User, bob: User
) -> None:
    _send(_password_step(locked_out))
    request = IdentityVerificationRequest.objects.get()
    url = f"/admin/security/identityverificationrequest/{request.pk}/document/document_front/"

    assert Client().get(url).status_code == 302  # anonymous: to the sign-in page
    assert signed_in(bob).get(url).status_code == 302  # not staff
    staff_without_permission = UserFactory.create(email="intern@example.com", is_staff=True)
    assert signed_in(staff_without_permission).get(url).status_code == 403


def test_reviewer_previews_documents_and_approves(locked_out: User, reviewer: User) -> None:
    _send(_password_step(locked_out))
    request = IdentityVerificationRequest.objects.get()
    admin = signed_in(reviewer)

    page = admin.get(f"/admin/security/identityverificationrequest/{request.pk}/change/")
    assert page.status_code == 200
    assert "Approve: remove the two-factor methods" in page.content.decode()
    document = admin.get(
        f"/admin/security/identityverificationrequest/{request.pk}/document/document_front/"
    )
    assert document.status_code == 200
    assert document["Content-Type"] == "image/jpeg"
    assert document.getvalue() == JPEG  # the streamed file, joined
    stored = [Path(getattr(request, f).path) for f in ("document_front", "document_back", "selfie")]

    admin.post(
        f"/admin/security/identityverificationrequest/{request.pk}/decide/",
        {"approve": "1", "reason": ""},
    )

    request.refresh_from_db()
    assert request.status == IdentityVerificationRequest.Status.APPROVED
    assert request.decided_by == reviewer
    assert not TOTPDevice.objects.filter(user=locked_out).exists()
    assert not EmergencyCodesDevice.objects.filter(user=locked_out).exists()
    assert not any(path.exists() for path in stored)
    assert not request.document_front
    assert AuditEvent.objects.filter(action="two_factor.recovery_approved").exists()
    assert Notification.objects.filter(kind="identity_request_approved", recipient=locked_out)
    # alice signs in with her password alone now.
    response = Client().post("/accounts/login/", {"email": locked_out.email, "password": PASSWORD})
    assert response["Location"] == "/"


def test_rejection_needs_a_reason_and_keeps_two_factor(locked_out: User, reviewer: User) -> None:
    _send(_password_step(locked_out))
    request = IdentityVerificationRequest.objects.get()
    admin = signed_in(reviewer)
    decide = f"/admin/security/identityverificationrequest/{request.pk}/decide/"

    admin.post(decide, {"reject": "1", "reason": "  "})
    request.refresh_from_db()
    assert request.is_pending

    admin.post(decide, {"reject": "1", "reason": "The selfie is blurred."})
    request.refresh_from_db()
    assert request.status == IdentityVerificationRequest.Status.REJECTED
    assert TOTPDevice.objects.filter(user=locked_out).exists()
    email = Notification.objects.get(kind="identity_request_rejected")
    assert "The selfie is blurred." in email.body_text
    assert not request.document_front


def test_decide_needs_post_and_the_permission(locked_out: User, reviewer: User) -> None:
    _send(_password_step(locked_out))
    request = IdentityVerificationRequest.objects.get()
    decide = f"/admin/security/identityverificationrequest/{request.pk}/decide/"

    assert signed_in(reviewer).get(decide).status_code == 403
    intern = UserFactory.create(email="intern@example.com", is_staff=True)
    assert signed_in(intern).post(decide, {"approve": "1"}).status_code == 403
    request.refresh_from_db()
    assert request.is_pending
    assert TOTPDevice.objects.filter(user=locked_out).exists()


# --- Issue 11, finding 11: the file name is not trusted, and a failure leaves no file behind ----


def _stored_documents() -> set[Path]:
    folder = Path(settings.PRIVATE_STORAGE_DIR) / "identity"
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def test_request_names_files_by_their_content_whatever_the_client_said(locked_out: User) -> None:
    """A long extension made the storage refuse the name (400) after the first documents were
    written; the client's extension is not used at all any more."""
    before = _stored_documents()
    client = _password_step(locked_out)

    response = _send(
        client,
        document_back=SimpleUploadedFile("back." + "x" * 300, PDF, "application/pdf"),
        selfie=SimpleUploadedFile("selfie.exe", PNG, "application/octet-stream"),
    )

    assert response.status_code == 302
    request = IdentityVerificationRequest.objects.get(user=locked_out)
    suffixes = [Path(getattr(request, f).name).suffix for f in DOCUMENT_FIELDS]
    assert suffixes == [".jpg", ".pdf", ".png"]  # JPEG, PDF and PNG content (see _send)
    assert len(_stored_documents() - before) == 3


def test_a_failure_after_the_documents_were_written_deletes_them(
    locked_out: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from security import recovery

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the outbox is down")

    monkeypatch.setattr(recovery, "send_email", broken)
    before = _stored_documents()

    with pytest.raises(RuntimeError):
        recovery.do_request_identity_verification(
            locked_out, contact_phone="+41 79 000 00 00", message="", **_files()
        )

    assert _stored_documents() == before
    assert not IdentityVerificationRequest.objects.exists()


def test_a_document_that_cannot_be_stored_takes_the_others_with_it(
    locked_out: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.files.storage import FileSystemStorage

    from security import recovery

    written: list[str] = []
    original = FileSystemStorage._save  # type: ignore[attr-defined]  # private, not in the stubs

    def save_two_then_fail(self: FileSystemStorage, name: str, content: Any) -> str:
        if len(written) == 2:
            raise OSError("disk full")
        written.append(name)
        saved: str = original(self, name, content)
        return saved

    monkeypatch.setattr(FileSystemStorage, "_save", save_two_then_fail)
    before = _stored_documents()

    with pytest.raises(OSError, match="disk full"):
        recovery.do_request_identity_verification(
            locked_out, contact_phone="+41 79 000 00 00", message="", **_files()
        )

    assert len(written) == 2
    assert _stored_documents() == before


def test_a_request_opened_at_the_same_moment_leaves_no_documents(
    locked_out: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unique constraint refuses the second open request after its documents were written."""
    from security import recovery

    existing = IdentityVerificationRequest.objects.create(
        user=locked_out, contact_phone="+41 79 000 00 00"
    )
    real_filter = IdentityVerificationRequest.objects.filter

    def filter_missing_the_other(*args: Any, **kwargs: Any) -> Any:
        # The other request committed between the check and the insert.
        return real_filter(*args, **kwargs).exclude(pk=existing.pk)

    monkeypatch.setattr(IdentityVerificationRequest.objects, "filter", filter_missing_the_other)
    before = _stored_documents()

    with pytest.raises(recovery.RequestRefused):
        recovery.do_request_identity_verification(
            locked_out, contact_phone="+41 79 000 00 00", message="", **_files()
        )

    assert _stored_documents() == before
