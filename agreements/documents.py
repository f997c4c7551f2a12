"""The agreement as HTML and as a PDF rendered by WeasyPrint.

Templates are Django templates with autoescaping, so a party named "<b>x</b>" prints as text. The URL
fetcher serves only the app's own static files and inline data (signature images): a name or a term
that contains a URL can never make WeasyPrint fetch anything.
"""

import base64
import io
import mimetypes
from decimal import Decimal

import qrcode
import weasyprint
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint.urls import URLFetcher, URLFetcherResponse

from vom.core.i18n import ENGLISH, format_money

from .models import Agreement
from .selectors import SignerStatus, document_content, signer_statuses, terms_of, verification_code
from .verification import verify_url

STATIC_PREFIX = "vom-static:/"
# Program.paper_size -> CSS page size. Every printed document takes its size from here (the stylesheets set
# none), so agreements, letters and reports come out on the paper the program's court file uses.
PAGE_SIZES = {"letter": "letter", "a4": "A4"}
DEFAULT_PAPER = "letter"
QR_MODULE_PIXELS = 10


def page_css(paper_size: str = DEFAULT_PAPER) -> weasyprint.CSS:
    """The page size of a program's printed documents, as a stylesheet to render with."""
    return weasyprint.CSS(string=f"@page {{ size: {PAGE_SIZES.get(paper_size, PAGE_SIZES[DEFAULT_PAPER])}; }}")


def qr_data_uri(text: str) -> str:
    """A QR code as a PNG data URI (no network, no file): for the verification address on signed PDFs.

    A one-bit PNG of 10 pixels a module (about 470 dpi at the 19 mm it is printed at, drawn without smoothing):
    WeasyPrint draws it as one image, where the same code as an SVG path was parsed and drawn in Python on
    every page, a tenth of the agreement's render time."""
    buffer = io.BytesIO()
    qrcode.make(text, box_size=QR_MODULE_PIXELS, border=1).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


class StaticOnlyFetcher(URLFetcher):
    """Serves ``vom-static:/css/pdf.css`` from the app's static files, and data: URLs; refuses the rest."""

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(STATIC_PREFIX):
            path = finders.find(url[len(STATIC_PREFIX) :])
            if path:
                with open(path, "rb") as handle:
                    body = handle.read()
                mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body, {"Content-Type": mime})
        raise ValueError(f"refused to fetch {url!r}: only the app's own static files")


def money(amount: Decimal | None, currency: str) -> str:
    """An amount in the active language for the program's territory: $1,250.00 (English and Spanish, US)."""
    return format_money(amount, currency)


def page_label_css(languages: list[str]) -> str:
    """The CSS ``content`` of the "Page X of Y" margin box, in each of the document's languages."""
    parts = []
    for language in languages:
        with translation.override(language):
            label = translation.gettext("Page %(page)s of %(pages)s")
        pieces = label.replace("%(page)s", "\0").replace("%(pages)s", "\1").split("\0")
        before, after = pieces[0], pieces[1] if len(pieces) > 1 else ""
        middle, end = [*after.split("\1"), ""][:2]
        parts.append(f'"{_css(before)}" counter(page) "{_css(middle)}" counter(pages) "{_css(end)}"')
    return ' " / " '.join(parts)


def _css(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _signature_image(statuses: list[SignerStatus]) -> dict[str, str]:
    images = {}
    for status in statuses:
        signature = status.signature
        if signature and signature.image:
            with signature.image.open("rb") as handle:
                images[status.signer.key] = "data:image/png;base64," + base64.b64encode(handle.read()).decode()
    return images


def agreement_context(agreement: Agreement, *, draft: bool) -> dict:
    terms = terms_of(agreement)
    statuses = signer_statuses(agreement)
    content = document_content(agreement, terms, statuses)
    currency = agreement.case.program.currency
    code = agreement.verification_code or verification_code(content)
    languages = agreement.languages or [ENGLISH]
    return {
        "languages": languages,
        "page_label": page_label_css(languages),
        "agreement": agreement,
        "case": agreement.case,
        "program": agreement.case.program,
        "terms": terms,
        "statuses": statuses,
        "images": _signature_image(statuses),
        "currency": currency,
        "draft": draft,
        "code": code,
        "verify_url": verify_url(),
        "verify_qr": "" if draft else qr_data_uri(verify_url(code)),
        "printed_on": timezone.localdate(),
        "static_prefix": STATIC_PREFIX,
    }


def _html(html: str) -> weasyprint.HTML:
    return weasyprint.HTML(string=html, url_fetcher=StaticOnlyFetcher(), base_url=STATIC_PREFIX)


def html_to_pdf(html: str, *, paper_size: str = DEFAULT_PAPER) -> bytes:
    """Any of the app's printed documents, on the program's paper (``Program.paper_size``): its own static
    files only, nothing fetched from elsewhere."""
    return _html(html).write_pdf(stylesheets=[page_css(paper_size)])


def agreement_html(agreement: Agreement, *, draft: bool) -> str:
    return render_to_string("agreements/pdf/agreement.html", agreement_context(agreement, draft=draft))


def agreement_layout(agreement: Agreement, *, draft: bool) -> weasyprint.document.Document:
    html = agreement_html(agreement, draft=draft)
    return _html(html).render(stylesheets=[page_css(agreement.case.program.paper_size)])


def agreement_pdf(agreement: Agreement, *, draft: bool) -> bytes:
    return agreement_layout(agreement, draft=draft).write_pdf()
