"""Reading the PDFs the app renders, as a person reads them."""

import io

from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    """The PDF's text with its whitespace folded: a cell or a signature line wraps where its length says (a
    longer month or time moves the break), so phrases are matched across line breaks."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())
