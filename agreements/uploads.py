"""Checks for signature images and scanned copies: by content, never by file name.

A stored file is safe even if it is ever served: images are decoded and written again (pixels only: no
text chunks, EXIF, ICC profile or trailing bytes survive), after their dimensions are checked from the
header, before any decoding (a 100 KB PNG can claim 30,000 x 30,000 pixels). A PDF is refused when it
carries JavaScript, embedded files, launch actions, rich media or forms, or web page markup.
"""

import base64
import binascii
import io
import re

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from vom.core.errors import DomainError

MAX_SCAN_BYTES = 10 * 1024 * 1024
MAX_DRAWN_BYTES = 1024 * 1024
# A letter or A4 page scanned at 300 dpi is 8.4 to 8.7 megapixels, a phone's photo of it 12; 16 leaves room and
# still decodes in about 50 MB.
MAX_SCAN_PIXELS = 16_000_000
DRAWN_WIDTH, DRAWN_HEIGHT = (50, 4000), (20, 2000)  # the pad is 600 x 180, times the screen's pixel ratio
MAX_PDF_OBJECTS = 20_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
PDF_MAGIC = b"%PDF-"

# Raw bytes first (cheap, and catches objects a repairing viewer would find outside the cross-reference
# table), then every object as pypdf decodes it (compressed object streams, #-escaped names).
PDF_RISKY_NAMES = {"/JS", "/JavaScript", "/EmbeddedFile", "/EmbeddedFiles", "/Launch", "/RichMedia", "/XFA"}
PDF_RISKY_BYTES = re.compile(rb"/(?:JS|JavaScript|EmbeddedFiles?|Launch|RichMedia|XFA)(?![A-Za-z0-9#])")
WEB_MARKUP = re.compile(rb"<\s*(?:script|html|!doctype|iframe|svg|object|embed)\b", re.IGNORECASE)
PDF_REFUSED = (
    "The PDF contains {what}, which a scanned page never needs. Scan the signed paper again, or print it to a "
    "plain PDF, and upload that."
)


def sniff(data: bytes) -> str | None:
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    if data.startswith(PDF_MAGIC):
        return "application/pdf"
    return None


def _open_image(data: bytes, fmt: str, *, fits) -> Image.Image:
    """The decoded image, once its header says it is ``fmt`` and its size passes ``fits(width, height)`` (which
    raises DomainError). Pillow refuses gigantic images itself, at open: that is a clear refusal too."""
    try:
        with Image.open(io.BytesIO(data)) as probe:  # reads the header only
            if probe.format != fmt:
                raise DomainError("The file is not the image it claims to be.")
            fits(*probe.size)
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    except Image.DecompressionBombError as exc:
        raise DomainError("The image claims to be far larger than any scan; it was not opened.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DomainError("The image is damaged or not an image.") from exc


def _scan_fits(width: int, height: int) -> None:
    if width * height > MAX_SCAN_PIXELS:
        raise DomainError(
            f"The image is {width:,} x {height:,} pixels; at most {MAX_SCAN_PIXELS // 1_000_000} megapixels are "
            "accepted. Scan at 300 dpi, or photograph the page at a lower resolution."
        )


def _drawn_fits(width: int, height: int) -> None:
    if not (DRAWN_WIDTH[0] <= width <= DRAWN_WIDTH[1] and DRAWN_HEIGHT[0] <= height <= DRAWN_HEIGHT[1]):
        raise DomainError("The drawn signature has an unexpected size; draw it again.")


def reencode(image: Image.Image, fmt: str) -> bytes:
    """The pixels alone, written afresh: no metadata, profile, comment or trailing bytes of the upload."""
    image = ImageOps.exif_transpose(image)  # a phone photo turned the way it was taken, before EXIF goes
    if fmt == "JPEG":
        image = image.convert("L" if image.mode in {"1", "L"} else "RGB")
    elif image.mode in {"P", "PA"}:
        image = image.convert("RGBA")  # palette transparency lives in metadata: keep it in the pixels
    elif image.mode not in {"1", "L", "LA", "RGB", "RGBA"}:
        image = image.convert("L" if image.mode.startswith(("I", "F")) else "RGB")
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def _direct_dictionaries(obj, depth: int = 0):
    """``obj`` and every dictionary written inside it (not behind a reference: those are objects of their own)."""
    if depth > 32:
        raise DomainError("The PDF is far more complex than a scanned page; print it to a plain PDF first.")
    if isinstance(obj, DictionaryObject):
        yield obj
        children = obj.values()
    elif isinstance(obj, ArrayObject):
        children = obj
    else:
        return
    for child in children:
        if not isinstance(child, IndirectObject):
            yield from _direct_dictionaries(child, depth + 1)


def _pdf_dictionaries(reader: PdfReader):
    """Every dictionary of the file: the trailer and each numbered object (object streams decompressed), with
    the dictionaries written inside them (an /OpenAction is often one)."""
    numbers = {(num, gen) for gen, entries in reader.xref.items() for num in entries}
    numbers |= {(num, 0) for num in reader.xref_objStm}
    if len(numbers) > MAX_PDF_OBJECTS:
        raise DomainError("The PDF is far more complex than a scanned page; print it to a plain PDF first.")
    yield from _direct_dictionaries(reader.trailer)
    for num, gen in numbers:
        yield from _direct_dictionaries(reader.get_object(IndirectObject(num, gen, reader)))


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise DomainError("The PDF is incomplete or damaged.")
    if WEB_MARKUP.search(data):
        raise DomainError(PDF_REFUSED.format(what="web page code (HTML)"))
    if PDF_RISKY_BYTES.search(data):
        raise DomainError(PDF_REFUSED.format(what="scripts, attached files or actions"))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DomainError("The PDF is password-protected or encrypted; upload an unprotected scan.")
        for obj in _pdf_dictionaries(reader):
            if PDF_RISKY_NAMES & set(obj.keys()) or obj.get("/S") in {"/JavaScript", "/Launch"}:
                raise DomainError(PDF_REFUSED.format(what="scripts, attached files or actions"))
            if obj.get("/Type") in {"/EmbeddedFile", "/Filespec"}:
                raise DomainError(PDF_REFUSED.format(what="attached files"))
    except DomainError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise DomainError("The PDF is damaged and could not be checked.") from exc


def check_scan(data: bytes) -> tuple[str, bytes]:
    """The content type of a scanned wet-signed copy (PDF, PNG or JPEG, at most 10 MB) and the bytes to
    store: an image re-encoded, a PDF as uploaded once it passed its checks."""
    if len(data) > MAX_SCAN_BYTES:
        raise DomainError(f"The scan is {len(data) / 1_048_576:.1f} MB; at most 10 MB is accepted.")
    if not data:
        raise DomainError("The uploaded file is empty.")
    kind = sniff(data)
    if kind is None:
        raise DomainError("The scan must be a PDF, PNG or JPEG file (checked by its content, not its name).")
    if kind == "application/pdf":
        _check_pdf(data)
        return kind, data
    fmt = "PNG" if kind == "image/png" else "JPEG"
    return kind, reencode(_open_image(data, fmt, fits=_scan_fits), fmt)


def decode_drawn(data_url: str) -> bytes:
    """The PNG a signature pad posted as a data URL, re-encoded; refused if it is not a PNG, is not the size a
    pad makes, or has no ink."""
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
    image = _open_image(data, "PNG", fits=_drawn_fits)
    ink = image.getchannel("A") if "A" in image.getbands() else image.convert("L").point(lambda v: 255 - v)
    if ink.getbbox() is None:
        raise DomainError("The signature box is empty: draw the signature before saving.")
    return reencode(image, "PNG")
