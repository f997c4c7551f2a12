"""Draft an agreement, draw every signature on the canvas, download the signed PDF: in a real browser."""

import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from agreements.models import Agreement
from cases.models import Case, Program
from tests.agreements.helpers import case_in_agreement
from tests.documents import pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "demo-pass-2026"


@pytest.fixture
def agreement_case(db):
    call_command("seed_demo", "--cases", "0", "--password", PASSWORD, stdout=StringIO())
    users = get_user_model().objects
    return case_in_agreement(
        Program.objects.get(), users.get(username="coordinator"), users.get(username="mediator"), juvenile=True
    )


def draw(page):
    pad = page.locator("[data-signature-pad]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y = box["x"], box["y"] + box["height"] / 2
    page.mouse.move(x + 30, y)
    page.mouse.down()
    for step in range(1, 25):
        page.mouse.move(x + 30 + step * 15, y + (18 if step % 2 else -18), steps=2)
    page.mouse.up()


def test_draw_every_signature_and_download_the_signed_pdf(page, agreement_case, screenshot, tmp_path):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("mediator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/cases/{agreement_case.pk}/")
    page.get_by_role("button", name="Draft the agreement").click()
    page.get_by_role("link", name="Add a term").click()
    page.get_by_label("Money to the victim").check()
    page.get_by_label("Description").fill("Pay for the repainting of the wall.")
    page.get_by_label("Total amount").fill("450")
    page.get_by_label("Number of installments").fill("3")
    page.get_by_label("Frequency").select_option("monthly")
    page.get_by_label("First installment due").fill((datetime.date.today() + datetime.timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Add the term").click()
    assert "Term added." in page.locator(".messages").inner_text()
    assert page.get_by_text("$150.00").count() >= 3
    page.get_by_role("button", name="Ready for signatures").click()
    screenshot("1-awaiting")

    for name in ["Kai Lopez", "Rita Lopez", "Ana Price", "Grace Okafor"]:
        page.get_by_role("link", name=f"Sign as {name}").click()
        page.get_by_role("heading", name=f"{name} signs").wait_for()
        if name == "Kai Lopez":
            page.get_by_role("button", name="Save signature").click()  # nothing drawn yet
            assert "Draw the signature in the box before saving." in page.get_by_role("alert").inner_text()
        draw(page)
        if name == "Kai Lopez":
            screenshot("2-drawn")
        if name == "Grace Okafor":  # the lead mediator, signed in as herself, confirms it is her
            page.get_by_label("Your password").fill(PASSWORD)
        page.get_by_role("button", name="Save signature").click()
        page.locator(".messages").wait_for()

    assert "Everyone has signed" in page.locator(".messages").inner_text()
    screenshot("3-signed")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download signed PDF").click()
    path = tmp_path / "signed.pdf"
    download_info.value.save_as(path)
    data = path.read_bytes()
    text = pdf_text(data)
    agreement = Agreement.objects.get()
    assert agreement.status == "signed"
    assert f"Verification code {agreement.verification_code}" in text
    assert "Pay for the repainting of the wall." in text and "$450.00" in text and "$150.00" in text
    assert text.count("(drawn on") == 4
    assert "ana@example.org" not in text
    assert Case.objects.get(pk=agreement_case.pk).stage == "follow_up"
