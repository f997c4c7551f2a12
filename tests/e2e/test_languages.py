"""Parties in their own language, in a real browser: the demo's bilingual agreement (page and signed PDF,
looked at as PNG), a Spanish speaker's survey on a phone, and a bilingual draft that waits for its Spanish
text."""

import datetime
import shutil
import subprocess
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from agreements.demo import DEMO_INTERPRETER
from agreements.models import Agreement
from cases.models import Program
from surveys.models import VALID_FOR, SurveyInvitation
from surveys.tokens import invitation_token, new_nonce
from tests.agreements.helpers import case_in_agreement
from tests.conftest import require
from tests.documents import pdf_text
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_every_page import audit
from tests.e2e.test_pipeline import PASSWORD, flash, sign_in
from tests.i18n.helpers import speaks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--password", PASSWORD, stdout=StringIO())
    return next(a for a in Agreement.objects.filter(number=2).select_related("case") if "es" in a.languages)


def test_the_demo_bilingual_agreement_on_its_page_and_in_its_signed_pdf(audit_page, demo, tmp_path):
    case = demo.case
    sign_in(audit_page, case.lead_mediator.username)
    path = f"/cases/{case.pk}/agreements/{demo.pk}/"
    assert audit(audit_page, "bilingual agreement", path) == []  # fits 360 px, no axe violation
    document = audit_page.locator("section.document").inner_text()
    for expected in ["Acuerdo de Restitución (español)", "Restitution Agreement (English)",
                     "Perdió su trabajo: $50 al mes por los $400 que todavía debe.",
                     "Lost his job: $50 a month for the $400 still owed.", f"Intérprete: {DEMO_INTERPRETER}",
                     f"Interpreter: {DEMO_INTERPRETER}"]:  # fmt: skip
        assert expected in " ".join(document.split()), expected
    audit_page.set_viewport_size({"width": 1024, "height": 900})
    with audit_page.expect_download() as download:
        audit_page.get_by_role("link", name="Download signed PDF").click()
    pdf = tmp_path / "signed.pdf"
    download.value.save_as(pdf)
    text = pdf_text(pdf.read_bytes())
    assert "Acuerdo de Restitución (español)" in text and "Restitution Agreement (English)" in text
    assert "«Interpreté este acuerdo para la persona firmante, quien dijo que lo entendía»" in text
    assert f"Código de verificación {demo.verification_code}" in text
    # Kept for a person to look at: every page as PNG, as poppler renders it.
    require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTIFACTS / "bilingual-agreement"
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(prefix)], check=True, timeout=120)
    assert len(list(ARTIFACTS.glob("bilingual-agreement-*.png"))) >= 3


def test_a_spanish_speaker_answers_the_survey_on_a_phone(audit_page, demo):
    offender = demo.case.parties.get(role="offender")
    now = timezone.now()
    invitation = SurveyInvitation.objects.filter(party=offender).first() or SurveyInvitation.objects.create(
        case=demo.case, party=offender, occasion="joint_session", nonce=new_nonce(), created_at=now,
        expires_at=now + VALID_FOR,
    )  # fmt: skip
    SurveyInvitation.objects.filter(pk=invitation.pk).update(used_at=None, expires_at=now + VALID_FOR)
    path = f"/survey/{invitation_token(invitation)}/"
    assert audit(audit_page, "Spanish survey", path) == []
    page = audit_page
    page.get_by_role("heading", name="¿Cómo fue su mediación?").wait_for()
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_role("button", name="Enviar mis respuestas").click()
    assert "Hay un problema" in page.get_by_role("alert").first.inner_text()
    for question in ["El proceso fue justo.", "Estoy satisfecho/a con el resultado.", "Me sentí seguro/a.",
                     "Me escucharon.", "Recomendaría la mediación a alguien en mi situación."]:  # fmt: skip
        group = page.get_by_role("group", name=question)
        group.locator(".scale__value", has_text="5").click()  # on a phone the number is what shows
        assert group.locator('input[value="5"]').is_checked()
    page.screenshot(path=str(ARTIFACTS / "spanish-survey.png"), full_page=True)
    page.get_by_role("button", name="Enviar mis respuestas").click()
    page.get_by_role("heading", name="Gracias").wait_for()
    assert audit(page, "Spanish thanks", page.url.removeprefix(page.url.split("/survey/")[0])) == []


def test_a_bilingual_draft_waits_for_its_spanish_text(page, db):
    call_command("seed_demo", "--cases", "0", "--password", PASSWORD, stdout=StringIO())
    users = get_user_model().objects
    case = case_in_agreement(Program.objects.get(), users.get(username="coordinator"), users.get(username="mediator"))
    speaks(case.parties.get(role="offender"), "es", interpreter=True)
    sign_in(page, "mediator")
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("button", name="Draft the agreement").click()
    assert "The parties read different languages: this agreement is printed in Spanish and English" in page.content()
    page.get_by_role("link", name="Add a term").click()
    page.get_by_label("Apology letter").check()
    page.get_by_label("Description (English)").fill("Write a letter of apology to the victim.")
    page.get_by_label("Due date").fill((datetime.date.today() + datetime.timedelta(days=21)).isoformat())
    page.get_by_role("button", name="Add the term").click()
    page.get_by_role("button", name="Ready for signatures").click()
    assert "Term 1 (apology letter) has no Spanish text yet." in flash(page)
    page.get_by_role("link", name="Change the apology letter").click()
    page.get_by_label("Description (Spanish)").fill("Escribir una carta de disculpa a la víctima.")
    page.get_by_role("button", name="Save the term").click()
    page.get_by_role("button", name="Ready for signatures").click()
    assert "Ready for signatures." in flash(page)
    page.get_by_role("link", name="Sign as Kai Lopez").click()
    assert page.get_by_label("Spanish interpreter's name (and agency)").is_visible()
