"""Uploads that are only compared, never kept: hashed while they stream in, size checked chunk by chunk.

Django's default handlers keep an upload in memory up to 2.5 MB and write anything larger to a temporary
file before the view can look at its size. A copy someone checks against a signed agreement is needed
only as its SHA-256: ``digest_uploads`` gives a view a handler that hashes each chunk as it arrives,
keeps no byte of it (memory or disk), and stops reading once the file passes ``max_bytes``.
"""

import hashlib
import io
from functools import wraps

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.views.decorators.csrf import csrf_exempt, csrf_protect


class DigestedUpload(UploadedFile):
    """What is left of an upload: its name, size, SHA-256 and first bytes (for sniffing its type)."""

    def __init__(self, *, name: str, content_type: str, size: int, sha256: str, head: bytes):
        super().__init__(file=io.BytesIO(b""), name=name, content_type=content_type, size=size)
        self.sha256 = sha256
        self.head = head


class DigestUploadHandler(FileUploadHandler):
    HEAD_BYTES = 1024

    def __init__(self, request=None, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.too_large = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.digest, self.size, self.head = hashlib.sha256(), 0, b""

    def receive_data_chunk(self, raw_data, start):
        self.size += len(raw_data)
        if self.size > self.max_bytes:
            self.too_large = True
            # Stop keeping anything; the rest of the request is read and dropped, so the page can answer.
            raise StopUpload(connection_reset=False)
        if len(self.head) < self.HEAD_BYTES:
            self.head += raw_data[: self.HEAD_BYTES - len(self.head)]
        self.digest.update(raw_data)
        return None  # nothing for any other handler: no byte is kept

    def file_complete(self, file_size):
        return DigestedUpload(
            name=self.file_name,
            content_type=self.content_type,
            size=self.size,
            sha256=self.digest.hexdigest(),
            head=self.head,
        )


def digest_uploads(max_bytes: int):
    """View decorator: the view's file uploads arrive as ``DigestedUpload``; ``upload_too_large(request)``
    tells when one passed ``max_bytes``. CSRF is still checked, after the handler is in place (Django reads
    the body for the CSRF check, so the handler must be set first)."""

    def decorator(view):
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            request.upload_handlers = [DigestUploadHandler(request, max_bytes=max_bytes)]
            return protected(request, *args, **kwargs)

        return wrapper

    return decorator


def upload_too_large(request) -> bool:
    return any(getattr(handler, "too_large", False) for handler in getattr(request, "upload_handlers", []))
