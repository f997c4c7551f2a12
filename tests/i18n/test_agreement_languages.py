"""The agreement in the parties' languages: Spanish, or Spanish and English in one signed document, and the
interpreter's attestation of a signer who needed one."""

import shutil

import pytest
from django.core.management import call_command

from agreements import services
from agreements.documents import agreement_pdf
from agreements.models import Agreement
from agreements.selectors import signer_statuses
from tests.agreements.helpers import PNG_URL, credential_of, send
from tests.conftest import require
from tests.documents import pdf_text
from vom.core.errors import DomainError

from .helpers import (
    APOLOGY_ES,
    INTERPRETER,
    MONEY_ES,
    bilingual_draft,
    png_pages,
    spanish_offender_case,
    stored_pdf,
)


def sign_everyone(agreement, mediator, *, interpreter=INTERPRETER):
    for status in signer_statuses(agreement):
        party = status.signer.party
        actor = status.signer.mediator or mediator
        services.signature_add(
            agreement=agreement, signer_key=status.signer.key, actor=actor, method="drawn", drawn=PNG_URL,
            credential=credential_of(actor) if status.signer.mediator else "",
            interpreter_name=interpreter if party and party.needs_interpreter else "",
            interpreter_attests=bool(party and party.needs_interpreter),
        )  # fmt: skip
    agreement.refresh_from_db()
    return agreement


@pytest.mark.django_db
def test_parties_reading_different_languages_get_one_bilingual_document(program, coordinator, mediator):
    case = spanish_offender_case(program, coordinator, mediator)
    agreement = bilingual_draft(case, mediator)
    assert agreement.languages == ["es", "en"]  # the offender signs first, so Spanish comes first
    text = pdf_text(agreement_pdf(agreement, draft=True))
    for expected in ["Acuerdo de Restitución (español)", "Restitution Agreement (English)", MONEY_ES, APOLOGY_ES,
                     "Pay for the broken window, through the program.", "Dinero a la víctima", "Money to the victim",
                     "(borrador, no válido)", "(draft, not valid)", "Página 1 de", "Page 1 of",
                     "Este acuerdo está escrito en estos idiomas, uno después del otro: español, inglés",
                     "This agreement is written in these languages, one after the other: Spanish, English",
                     ]:  # fmt: skip
        assert expected in text, expected


@pytest.mark.django_db
def test_sending_for_signatures_waits_for_every_text_in_every_language(program, coordinator, mediator):
    case = spanish_offender_case(program, coordinator, mediator)
    agreement = bilingual_draft(case, mediator, translate=False)
    with pytest.raises(DomainError) as refused:
        send(agreement, mediator)
    assert refused.value.problems == [
        "Term 1 (money to the victim) has no Spanish text yet.",
        "Term 2 (apology letter) has no Spanish text yet.",
    ]
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.DRAFT


@pytest.mark.django_db
def test_a_signer_who_needed_an_interpreter_signs_only_with_the_interpreters_attestation(
    program, coordinator, mediator
):
    case = spanish_offender_case(program, coordinator, mediator)
    agreement = send(bilingual_draft(case, mediator), mediator)
    offender = next(s for s in signer_statuses(agreement) if s.signer.kind == "offender")
    sign = {"agreement": agreement, "signer_key": offender.signer.key, "actor": mediator, "method": "drawn",
            "drawn": PNG_URL}  # fmt: skip
    with pytest.raises(DomainError, match="give the Spanish interpreter's name"):
        services.signature_add(**sign)
    with pytest.raises(DomainError, match="who said they understood it"):
        services.signature_add(**sign, interpreter_name=INTERPRETER)
    assert not agreement.signatures.exists()
    signature = services.signature_add(**sign, interpreter_name=INTERPRETER, interpreter_attests=True)
    assert (signature.interpreter_name, signature.interpreter_language) == (INTERPRETER, "es")
    victim = next(s for s in signer_statuses(agreement) if s.signer.kind == "victim")
    plain = services.signature_add(agreement=agreement, signer_key=victim.signer.key, actor=mediator, method="drawn",
                                   drawn=PNG_URL, interpreter_name="Nobody")  # fmt: skip
    assert plain.interpreter_name == ""  # only a signer who needs one signs through an interpreter


@pytest.mark.django_db
def test_the_signed_bilingual_pdf_is_the_one_hashed_and_carries_the_attestation(
    program, coordinator, mediator, tmp_path
):
    case = spanish_offender_case(program, coordinator, mediator)
    agreement = sign_everyone(send(bilingual_draft(case, mediator), mediator), mediator)
    assert agreement.status == Agreement.Status.SIGNED
    data = stored_pdf(agreement)
    text = pdf_text(data)
    for expected in [
        "Firmas / Signatures", "Kai Lopez — Ofensor / Offender", "Ana Price — Víctima / Victim",
        f"Intérprete: {INTERPRETER} (español). «Interpreté este acuerdo para la persona firmante, quien dijo que lo "
        "entendía».",
        f"Interpreter: {INTERPRETER} (Spanish). “I interpreted this agreement to the signer, who said they understood "
        "it.”",
        f"Código de verificación {agreement.verification_code}", f"Verification code {agreement.verification_code}",
        "$1,250.00", "$250.00", MONEY_ES, "Firmado el", "Signed",
    ]:  # fmt: skip
        assert expected in text, expected
    assert text.count("I interpreted this agreement") == 1  # the victim signed without one
    call_command("verify_agreement_pdfs")  # the stored bytes are what was hashed
    if shutil.which("pdftoppm") or require(False, "pdftoppm (poppler-utils) is not installed"):
        pages = png_pages(data, tmp_path)
        assert len(pages) >= 3 and all(page.stat().st_size > 5_000 for page in pages)


@pytest.mark.django_db
def test_parties_who_all_read_spanish_get_the_agreement_in_spanish_alone(program, coordinator, mediator):
    case = spanish_offender_case(program, coordinator, mediator, victim_language="es")
    agreement = bilingual_draft(case, mediator)
    assert agreement.languages == ["es"]
    text = pdf_text(agreement_pdf(agreement, draft=True))
    assert "Acuerdo de Restitución" in text
    for english in ["Restitution Agreement", "What has been agreed", "Signatures", "Page 1 of", "Money to the victim"]:
        assert english not in text, english
    assert "Lo que se ha acordado" in text and "Idioma español" in text


@pytest.mark.django_db
def test_a_language_the_program_does_not_offer_falls_back_to_english_with_an_interpreter(
    program, coordinator, mediator
):
    case = spanish_offender_case(program, coordinator, mediator)
    program.document_languages = ["en"]
    program.save()
    agreement = services.agreement_create(case=case, actor=mediator)
    assert agreement.languages == ["en"]
    offender = case.parties.get(role="offender")
    offender.interpreter_needed = False
    assert offender.needs_interpreter  # reads English documents only through an interpreter
