"""What the rendered PDF says, and what it must never say or do."""

import io

import pytest
from pypdf import PdfReader

from agreements.documents import StaticOnlyFetcher, agreement_html, agreement_pdf
from cases.models import Person
from tests.agreements.helpers import case_in_agreement, draft_with_money, send, sign_all
from tests.documents import pdf_text


@pytest.fixture
def signed(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator, juvenile=True)
    victim = case.parties.get(role="victim")
    victim.email, victim.phone, victim.address = "ana.secret@example.org", "(555) 0199-4242", "17 Hidden Orchard Road"
    victim.save()
    return sign_all(send(draft_with_money(case, mediator, total="300.00", count=3), mediator), mediator)


@pytest.mark.django_db
def test_the_signed_pdf_states_parties_terms_schedule_and_code(signed):
    with signed.pdf.open("rb") as handle:
        data = handle.read()
    reader = PdfReader(io.BytesIO(data))
    text = pdf_text(data)
    for expected in [
        "Restitution Agreement", signed.case.number, signed.case.program.name,
        "Kai Lopez", "Rita Lopez", "Ana Price", "Parent / guardian of Kai Lopez",
        "Pay for the broken window.", "Write a letter of apology.", "$300.00", "$100.00",
        f"Verification code {signed.verification_code}", f"Page 1 of {len(reader.pages)}",
    ]:  # fmt: skip
        assert expected in text, expected
    assert "(drawn on" in text
    assert "DRAFT" not in text


@pytest.mark.django_db
def test_no_victim_contact_details_in_any_rendering(signed):
    with signed.pdf.open("rb") as handle:
        text = pdf_text(handle.read())
    preview = agreement_html(signed, draft=True)
    for secret in ("ana.secret@example.org", "0199-4242", "Hidden Orchard"):
        assert secret not in text
        assert secret not in preview


@pytest.mark.django_db
def test_a_draft_preview_is_marked(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    text = pdf_text(agreement_pdf(draft_with_money(case, mediator), draft=True))
    assert "DRAFT" in text and "(draft, not valid)" in text


@pytest.mark.django_db
def test_markup_in_a_name_prints_as_text_and_fetches_nothing(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    person = case.parties.get(role="offender").person
    Person.objects.filter(pk=person.pk).update(
        first_name='<img src="http://127.0.0.1:9/x.png">', last_name="<b>Bold</b>"
    )
    html = agreement_html(draft_with_money(case, mediator), draft=True)
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html and "<b>Bold</b>" not in html
    text = pdf_text(agreement_pdf(case.agreements.get(), draft=True))
    assert "<b>Bold</b>" in text


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/x.png", "https://example.org/a.css", "file:///etc/passwd", "ftp://x/y"]
)
def test_the_fetcher_refuses_anything_but_static_files_and_data(url):
    with pytest.raises(ValueError, match="refused to fetch"):
        StaticOnlyFetcher().fetch(url)


def test_the_fetcher_serves_the_pdf_stylesheet():
    response = StaticOnlyFetcher().fetch("vom-static:/css/agreement-pdf.css")
    assert b"@page" in response.read()


@pytest.mark.django_db
def test_every_page_names_the_agreement_and_its_page_and_the_foot_says_where_to_verify(signed, settings):
    with signed.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 2  # three installments, two terms and five signatures: more than a page
    for number, text in enumerate(pages, start=1):
        assert f"Restitution agreement · case {signed.case.number} · version 1" in text
        assert f"Page {number} of {len(pages)}" in text
        assert f"Verification code {signed.verification_code}" in text
        assert f"Check this agreement at {settings.SITE_URL}/verify/" in text
    assert "/XObject" in str(reader.pages[-1]["/Resources"]) or "/Pattern" in str(reader.pages[-1]["/Resources"])


def test_the_qr_code_encodes_the_verification_address_with_the_code(settings):
    import base64

    import qrcode
    from PIL import Image

    from agreements.documents import QR_MODULE_PIXELS, qr_data_uri
    from agreements.verification import verify_url

    settings.SITE_URL = "https://vom.example.org"
    url = verify_url("ABCD-EF01-2345-6789-ABCD")
    assert url == "https://vom.example.org/verify/?code=ABCD-EF01-2345-6789-ABCD"
    header, data = qr_data_uri(url).split(",", 1)
    assert header == "data:image/png;base64"
    image = Image.open(io.BytesIO(base64.b64decode(data))).convert("1")
    code = qrcode.QRCode(border=1)
    code.add_data(url)
    matrix = code.get_matrix()  # the modules that encode the address, border included
    assert image.size == (len(matrix) * QR_MODULE_PIXELS,) * 2
    middle = QR_MODULE_PIXELS // 2
    drawn = [[image.getpixel((x * QR_MODULE_PIXELS + middle, y * QR_MODULE_PIXELS + middle)) == 0
              for x in range(len(matrix))] for y in range(len(matrix))]  # fmt: skip
    assert drawn == matrix


@pytest.mark.django_db
def test_the_paper_is_the_programs_us_letter_by_default_a4_when_chosen(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    draft = draft_with_money(case, mediator)
    letter = PdfReader(io.BytesIO(agreement_pdf(draft, draft=True))).pages[0].mediabox
    assert (round(letter.width), round(letter.height)) == (612, 792)  # 8.5 x 11 in, in points
    program.paper_size = "a4"
    program.save()
    draft.case.program.refresh_from_db()
    a4 = PdfReader(io.BytesIO(agreement_pdf(draft, draft=True))).pages[0].mediabox
    assert (round(a4.width), round(a4.height)) == (595, 842)


def test_letters_and_reports_get_their_paper_from_one_helper():
    from agreements.documents import html_to_pdf

    html = "<html><body><p>A letter</p></body></html>"
    assert round(PdfReader(io.BytesIO(html_to_pdf(html))).pages[0].mediabox.height) == 792
    assert round(PdfReader(io.BytesIO(html_to_pdf(html, paper_size="a4"))).pages[0].mediabox.height) == 842


@pytest.mark.django_db
def test_the_agreement_carries_the_court_reference_and_return_date(program, coordinator, mediator):
    import datetime

    from cases.models import Case

    case = case_in_agreement(program, coordinator, mediator)
    Case.objects.filter(pk=case.pk).update(
        referral_reference="27-JV-26-1234", court_return_date=datetime.date.today() + datetime.timedelta(days=90)
    )
    case.refresh_from_db()
    agreement = sign_all(send(draft_with_money(case, mediator), mediator), mediator)
    with agreement.pdf.open("rb") as handle:
        text = pdf_text(handle.read())
    assert "Court / referral reference 27-JV-26-1234" in text
    assert f"Court return date {case.court_return_date:%B} {case.court_return_date.day}, " in text
