"""Signature images and scans: decompression bombs are refused before any
decoding, images are stored as their pixels only, PDFs with scripts, attachments or HTML are refused."""

import base64
import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from agreements.models import Signature
from agreements.uploads import MAX_SCAN_PIXELS, check_scan, decode_drawn
from tests.agreements.helpers import PNG_URL, case_in_agreement, draft_with_money, plain_pdf, send
from vom.core.errors import DomainError


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` x ``height`` (the probe's bomb: 107 KB claiming 30000 x 30000)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    body = zlib.compress(b"\x00" * 200_000, 9)  # the start of the rows: enough to look real, far from complete
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def image_bytes(fmt: str, size=(400, 200), **save) -> bytes:
    image = Image.new("RGB", size, "white")
    image.paste((0, 0, 0), (50, 80, 350, 120))  # some ink
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


@pytest.mark.parametrize("size", [(30000, 30000), (9000, 9000), (5000, 3300)])
def test_an_oversized_scan_is_refused_from_its_header_before_decoding(size):
    bomb = png_claiming(*size)
    assert len(bomb) < 300_000
    with pytest.raises(DomainError) as refused:
        check_scan(bomb)
    message = str(refused.value)
    assert "far larger than any scan" in message or f"at most {MAX_SCAN_PIXELS // 1_000_000} megapixels" in message


@pytest.mark.parametrize("size", [(30000, 30000), (9000, 9000), (4001, 500)])
def test_a_drawn_signature_bomb_is_refused_before_decoding(size):
    with pytest.raises(DomainError, match="far larger than any scan|unexpected size"):
        decode_drawn(data_url(png_claiming(*size)))


@pytest.mark.django_db
def test_a_bomb_posted_to_the_signing_page_gets_a_message_not_a_500(client, program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    agreement = send(draft_with_money(case, mediator), mediator)
    url = f"/cases/{case.pk}/agreements/{agreement.pk}/sign/p{case.parties.get(role='offender').pk}/"
    client.force_login(mediator)
    drawn = client.post(url, {"method": "drawn", "drawn": data_url(png_claiming(30000, 30000))})
    assert drawn.status_code == 200 and "far larger than any scan" in drawn.content.decode()
    scan = SimpleUploadedFile("scan.png", png_claiming(30000, 30000), content_type="image/png")
    scanned = client.post(url, {"method": "scanned", "scan": scan})
    assert scanned.status_code == 200 and "far larger than any scan" in scanned.content.decode()
    assert not Signature.objects.exists()


def test_a_png_scan_is_stored_as_its_pixels_only():
    image = Image.new("RGB", (400, 200), "white")
    info = __import__("PIL.PngImagePlugin", fromlist=["PngInfo"]).PngInfo()
    info.add_text("Comment", "<html><script>alert(1)</script></html>")
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    uploaded = out.getvalue() + b"<html><script>alert(2)</script></html>"  # and trailing bytes
    kind, stored = check_scan(uploaded)
    assert kind == "image/png"
    assert b"<script" not in stored and b"<html" not in stored and b"tEXt" not in stored
    with Image.open(io.BytesIO(stored)) as clean:
        assert clean.size == (400, 200) and clean.getpixel((10, 10)) == (255, 255, 255)


def test_a_jpeg_scan_loses_its_exif_and_comment_but_keeps_its_orientation():
    image = Image.new("RGB", (400, 200), "white")
    image.paste((0, 0, 0), (0, 0, 20, 20))  # a mark in the top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view", as phones write
    exif[0x010E] = "<html><script>alert(1)</script></html>"  # ImageDescription
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"<script>alert(3)</script>")
    kind, stored = check_scan(out.getvalue())
    assert kind == "image/jpeg" and b"<script" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as clean:
        assert clean.size == (200, 400)  # turned as the phone meant it
        assert clean.getpixel((190, 5))[0] < 80  # the mark is now top-right


def test_a_drawn_signature_is_stored_as_its_pixels_only():
    png = base64.b64decode(PNG_URL.split(",", 1)[1])
    sneaky = png[:-12] + chunk(b"tEXt", b"Comment\x00<script>alert(1)</script>") + png[-12:]
    stored = decode_drawn(data_url(sneaky))
    assert stored.startswith(b"\x89PNG") and b"<script" not in stored and b"tEXt" not in stored


def pdf_with(**root) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    for key, value in root.items():
        writer._root_object[NameObject(key)] = value
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


JS_ACTION = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("x")})


@pytest.mark.parametrize(
    ("pdf", "what"),
    [
        (pdf_with(**{"/OpenAction": JS_ACTION}), "scripts, attached files or actions"),
        # The same with its names escaped (#61 is "a"): only a parser that decodes names sees it.
        (pdf_with(**{"/OpenAction": JS_ACTION}).replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS ", b"/J#53 "),
         "scripts, attached files or actions"),
        (pdf_with(**{"/OpenAction": DictionaryObject({NameObject("/S"): NameObject("/Launch")})}),
         "scripts, attached files or actions"),
        (plain_pdf()[:-6] + b"\n<html><body><script>alert(1)</script></body></html>\n%%EOF\n", "web page code (HTML)"),
    ],
)  # fmt: skip
def test_a_pdf_with_scripts_actions_or_html_is_refused(pdf, what):
    with pytest.raises(DomainError, match=what.replace("(", r"\(").replace(")", r"\)")):
        check_scan(pdf)


def test_a_pdf_with_an_attached_file_is_refused():
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_attachment("invoice.html", b"<p>pay here</p>")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(DomainError, match="attached files"):
        check_scan(out.getvalue())


def test_an_encrypted_pdf_is_refused():
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(DomainError, match="password-protected"):
        check_scan(out.getvalue())


def test_a_plain_pdf_is_stored_as_it_came():
    pdf = plain_pdf()
    assert check_scan(pdf) == ("application/pdf", pdf)
