"""A bound on what one request may upload, before anything reaches the disk.

Django keeps form fields in memory up to `DATA_UPLOAD_MAX_MEMORY_SIZE`, but streams *files* of a
multipart body into temporary files with no limit: eight unauthenticated 1 GB posts to the sign-in
page once wrote 7.8 GiB. This handler runs first (`FILE_UPLOAD_HANDLERS`), on every URL, and
refuses the request (400, `RequestDataTooBig`) as soon as its files pass `UPLOAD_MAX_BYTES` — by
the declared Content-Length before reading, and by the bytes actually read for a client that lies
or streams — so the handlers after it never write more than that.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class BoundedUploadHandler(FileUploadHandler):
    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.received = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length > settings.UPLOAD_MAX_BYTES:
            raise RequestDataTooBig("The request body is larger than UPLOAD_MAX_BYTES.")

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            raise RequestDataTooBig("The uploaded files are larger than UPLOAD_MAX_BYTES.")
        return raw_data  # the next handler (memory or temporary file) keeps it

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file
