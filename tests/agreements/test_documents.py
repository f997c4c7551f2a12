"""What the rendered PDF says, and what it must never say or do."""

import io

import pytest
from pypdf import PdfReader

from agreements.documents import StaticOnlyFetcher, agreement_html, agreement_pdf
from cases.models import Person
from tests.agreements.helpers import case_in_agreement, draft_with_money, send, sign_all


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


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
