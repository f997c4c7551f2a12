"""Checks for signature images and scanned copies: by content, never by file name."""

import base64
import binascii
import io

from PIL import Image, UnidentifiedImageError

from vom.core.errors import DomainError

MAX_SCAN_BYTES = 10 * 1024 * 1024
MAX_DRAWN_BYTES = 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
PDF_MAGIC = b"%PDF-"


def sniff(data: bytes) -> str | None:
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    if data.startswith(PDF_MAGIC):
        return "application/pdf"
    return None


def _open_image(data: bytes, fmt: str) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != fmt:
                raise DomainError("The file is not the image it claims to be.")
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DomainError("The image is damaged or not an image.") from exc


def check_scan(data: bytes) -> str:
    """The content type of a scanned wet-signed copy (PDF, PNG or JPEG, at most 10 MB)."""
    if len(data) > MAX_SCAN_BYTES:
        raise DomainError(f"The scan is {len(data) / 1_048_576:.1f} MB; at most 10 MB is accepted.")
    if not data:
        raise DomainError("The uploaded file is empty.")
    kind = sniff(data)
    if kind is None:
        raise DomainError("The scan must be a PDF, PNG or JPEG file (checked by its content, not its name).")
    if kind == "application/pdf":
        if b"%%EOF" not in data[-2048:]:
            raise DomainError("The PDF is incomplete or damaged.")
    else:
        _open_image(data, "PNG" if kind == "image/png" else "JPEG")
    return kind


def decode_drawn(data_url: str) -> bytes:
    """The PNG a signature pad posted as a data URL; refused if it is not a PNG or has no ink."""
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        raise DomainError("Draw the signature in the box before saving.")
    if len(data_url) > MAX_DRAWN_BYTES * 4 // 3 + len(prefix) + 4:
        raise DomainError("The drawn signature is too large.")
    try:
        data = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DomainError("The drawn signature could not be read; draw it again.") from exc
    if not data.startswith(PNG_MAGIC):
        raise DomainError("The drawn signature is not a PNG image.")
    image = _open_image(data, "PNG")
    if not (50 <= image.width <= 4000 and 20 <= image.height <= 2000):
        raise DomainError("The drawn signature has an unexpected size; draw it again.")
    ink = image.getchannel("A") if "A" in image.getbands() else image.convert("L").point(lambda v: 255 - v)
    if ink.getbbox() is None:
        raise DomainError("The signature box is empty: draw the signature before saving.")
    return data
