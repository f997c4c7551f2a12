"""The agreement as HTML and as a PDF rendered by WeasyPrint.

Templates are Django templates with autoescaping, so a party named "<b>x</b>" prints as text. The URL
fetcher serves only the app's own static files and inline data (signature images): a name or a term
that contains a URL can never make WeasyPrint fetch anything.
"""

import base64
import mimetypes
from decimal import Decimal

import weasyprint
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .models import Agreement
from .selectors import SignerStatus, document_content, signer_statuses, terms_of, verification_code

STATIC_PREFIX = "vom-static:/"


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
    if amount is None:
        return ""
    symbol = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"


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
    return {
        "agreement": agreement,
        "case": agreement.case,
        "program": agreement.case.program,
        "terms": terms,
        "statuses": statuses,
        "images": _signature_image(statuses),
        "currency": currency,
        "draft": draft,
        "code": agreement.verification_code or verification_code(content),
        "printed_on": timezone.localdate(),
        "static_prefix": STATIC_PREFIX,
    }


def html_to_pdf(html: str) -> bytes:
    """Any of the app's printed documents: its own static files only, nothing fetched from elsewhere."""
    return weasyprint.HTML(string=html, url_fetcher=StaticOnlyFetcher(), base_url=STATIC_PREFIX).write_pdf()


def agreement_html(agreement: Agreement, *, draft: bool) -> str:
    return render_to_string("agreements/pdf/agreement.html", agreement_context(agreement, draft=draft))


def agreement_layout(agreement: Agreement, *, draft: bool) -> weasyprint.document.Document:
    html = agreement_html(agreement, draft=draft)
    return weasyprint.HTML(string=html, url_fetcher=StaticOnlyFetcher(), base_url=STATIC_PREFIX).render()


def agreement_pdf(agreement: Agreement, *, draft: bool) -> bytes:
    return agreement_layout(agreement, draft=draft).write_pdf()
