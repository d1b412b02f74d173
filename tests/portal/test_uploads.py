"""Issue 12, finding 9: one request cannot fill the disk with temporary files.

The attack: unauthenticated multipart posts of 1 GB to /accounts/login/ (which takes no file),
each streamed by Django into a temporary file. `core.uploads.BoundedUploadHandler` runs first
and refuses a request whose files pass `UPLOAD_MAX_BYTES`, so no handler after it writes more."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The bytes the temporary-file handler was given (what would reach the disk)."""
    chunks: list[int] = []
    keep = TemporaryFileUploadHandler.receive_data_chunk

    def spy(self: Any, raw_data: bytes, start: int) -> Any:
        chunks.append(len(raw_data))
        return keep(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", spy)
    return chunks


def test_a_large_upload_to_the_sign_in_page_is_refused_before_the_disk(
    settings: Any, written: list[int]
) -> None:
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    body = SimpleUploadedFile("big.bin", b"x" * (8 * 1024 * 1024))

    response = Client().post("/accounts/login/", {"email": "a@example.com", "file": body})

    assert response.status_code == 400
    assert sum(written) <= settings.UPLOAD_MAX_BYTES


def test_a_lying_content_length_is_caught_by_the_bytes_read(settings: Any) -> None:
    from django.core.exceptions import RequestDataTooBig

    from core.uploads import BoundedUploadHandler

    settings.UPLOAD_MAX_BYTES = 10
    handler = BoundedUploadHandler()
    handler.handle_raw_input(None, {}, 0, b"")  # declared nothing
    assert handler.receive_data_chunk(b"x" * 10, 0) == b"x" * 10
    with pytest.raises(RequestDataTooBig):
        handler.receive_data_chunk(b"x", 10)


def test_the_project_bound_leaves_room_for_an_identity_request(settings: Any) -> None:
    from security.forms import MAX_DOCUMENT_SIZE

    assert settings.UPLOAD_MAX_BYTES >= 3 * MAX_DOCUMENT_SIZE
    assert settings.FILE_UPLOAD_HANDLERS[0] == "core.uploads.BoundedUploadHandler"
