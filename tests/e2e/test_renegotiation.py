"""A plan that goes into default, is renegotiated and then completed, in a real browser.

An adult offender agreed to pay $300 in three monthly installments and to write an apology. The first
installment is paid, the second is missed long enough to put the agreement in default (the planner tells
the coordinator once); the mediator records a call about it, then amends the agreement: the new version is
drafted for the $200 still owed, changed to $75 a month, and signed again by everyone (the mediator with
her own password). A payment made while the new version waits for signatures counts toward it. The rest is
paid, the apology received, and the case closes as completed: the letter to the referral source says what
was paid, what the program still holds for the victim and carries the new version's verification code.
The coordinator's outcome report counts the money across both versions.
"""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from agreements.models import Agreement, AgreementDefault, Installment, Letter
from agreements.tasks import plan_follow_up_reminders_task
from cases.models import Case, Program
from tests.agreements.helpers import TEST_PASSWORD, case_in_agreement, draft_with_money, send, sign_all
from tests.documents import pdf_text
from tests.e2e.test_agreement import draw
from tests.e2e.test_pipeline import PASSWORD, sign_in, sign_out
from vom.notifications.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MEDIATOR = "Grace Okafor"


@pytest.fixture
def defaulting(db):
    """A signed agreement whose first installment fell due 70 days ago and the second 40 days ago."""
    call_command("seed_demo", "--cases", "0", "--password", PASSWORD, stdout=StringIO())
    users = get_user_model().objects
    coordinator, mediator = users.get(username="coordinator"), users.get(username="mediator")
    case = case_in_agreement(Program.objects.get(), coordinator, mediator)
    mediator.set_password(TEST_PASSWORD)  # sign_all confirms the mediator's signature with the tests' password
    mediator.save()
    signed = sign_all(send(draft_with_money(case, mediator, total="300.00", count=3), mediator), mediator)
    mediator.set_password(PASSWORD)
    mediator.save()
    today = timezone.localdate()
    for number, days in ((1, 70), (2, 40)):
        Installment.objects.filter(term__agreement=signed, number=number).update(
            due_date=today - datetime.timedelta(days=days)
        )
    Case.objects.filter(pk=case.pk).update(referral_date=today - datetime.timedelta(days=100))
    from mediation.models import Meeting

    Meeting.objects.filter(case=case, kind="joint").update(scheduled_for=timezone.now() - datetime.timedelta(days=80))
    return Case.objects.get(pk=case.pk), signed


def card(page, heading):
    return page.locator("section.card").filter(has=page.get_by_role("heading", name=heading, exact=True))


def record_payment(page, amount: str):
    form = card(page, "Record a payment received")
    form.get_by_label("Amount").fill(amount)
    form.get_by_label("Method").select_option("money_order")
    form.get_by_role("button", name="Save payment").click()
    expect(page.locator(".messages")).to_contain_text("Payment recorded.")


def test_default_then_renegotiate_then_complete(page, defaulting, screenshot, tmp_path):
    case, first = defaulting
    today = timezone.localdate()
    follow_up = f"/cases/{case.pk}/agreements/{first.pk}/follow-up/"

    # The mediator: the first installment paid late, the second missed; a call about it.
    sign_in(page, "mediator")
    page.goto(follow_up)
    expect(page.locator(".subhead .compliance")).to_have_text("Defaulted")
    record_payment(page, "100.00")
    contact = card(page, "Contact with the offender side")
    missed = f"Installment 2 of $100.00 due {today - datetime.timedelta(days=40):%b %-d, %Y} (Kai Lopez)"
    contact.get_by_label("About").select_option(missed)
    contact.get_by_label("How").select_option("phone")
    contact.get_by_label("Result").select_option("reached")
    contact.get_by_label("Note").fill("Lost his job; can pay $75 a month.")
    contact.get_by_role("button", name="Record the contact").click()
    expect(page.locator(".messages")).to_contain_text("Contact attempt recorded.")
    expect(card(page, "Contact with the offender side")).to_contain_text(f"about {missed}")
    screenshot("01-defaulted-with-contact")

    # Beat: the default is recorded once and the coordinator told once.
    plan_follow_up_reminders_task.apply().get()
    plan_follow_up_reminders_task.apply().get()
    default = AgreementDefault.objects.get()
    assert default.item == "Installment 2 of $100.00"
    assert Notification.objects.filter(template="agreement_default").count() == 1
    page.reload()
    expect(card(page, "Defaults")).to_contain_text("in default since")

    # The amendment: drafted for what is still owed, changed to $75 a month.
    page.get_by_role("link", name="version 1").click()
    page.get_by_role("link", name="Amend this agreement").click()
    page.get_by_label("Why is it amended?").fill("Lost his job: $75 a month for what is still owed.")
    page.get_by_role("button", name="Start the amendment").click()
    expect(page.locator(".messages")).to_contain_text("Version 2 drafted from version 1.")
    expect(page.locator(".document")).to_contain_text("$200.00")  # the balance, not the original $300
    page.get_by_role("link", name="Change").first.click()
    page.get_by_label("A fixed amount each period until paid").check()
    page.get_by_role("spinbutton", name="Amount each period").fill("75")
    page.get_by_label("First installment due").fill((today + datetime.timedelta(days=7)).isoformat())
    screenshot("02-renegotiated-term")
    page.get_by_role("button", name="Save the term").click()
    expect(page.locator(".messages")).to_contain_text("Term changed.")
    expect(page.locator(".document table.schedule tbody tr")).to_have_count(3)  # $75, $75, $50
    page.get_by_role("button", name="Ready for signatures").click()
    second = Agreement.objects.get(case=case, number=2)

    # Money received while the new version waits for signatures counts toward it.
    sign_out(page)
    sign_in(page, "mediator")
    page.goto(follow_up)
    record_payment(page, "50.00")
    page.goto(f"/cases/{case.pk}/agreements/{second.pk}/")
    for name in ("Kai Lopez", "Ana Price", MEDIATOR):
        page.get_by_role("link", name=f"Sign as {name}").click()
        draw(page)
        if name == MEDIATOR:
            page.get_by_label("Your password").fill(PASSWORD)
        page.get_by_role("button", name="Save signature").click()
    expect(page.locator(".messages")).to_contain_text("Everyone has signed")
    second.refresh_from_db()
    assert second.status == "signed" and second.terms.get(kind="money").carried_in == Decimal("50.00")

    # The ledger across both versions.
    page.goto(f"/cases/{case.pk}/agreements/{second.pk}/follow-up/")
    ledger = page.locator("table.ledger tbody tr")
    expect(ledger).to_contain_text("$300.00")  # agreed in version 1
    expect(ledger).to_contain_text("$150.00")  # received under both versions
    expect(ledger).to_contain_text("$150.00")  # outstanding on version 2
    expect(card(page, "Restitution ledger, across every version")).to_contain_text("Version 2")
    screenshot("03-ledger-across-versions")

    # Completion: the rest paid, part forwarded, the apology received.
    record_payment(page, "150.00")
    forward = card(page, "Forward money to the victim")
    forward.get_by_label("Amount").fill("200.00")
    forward.get_by_label("Method").select_option("check")
    forward.get_by_role("button", name="Save forwarding").click()
    expect(page.locator(".messages")).to_contain_text("Money forwarded to the victim recorded.")
    check = card(page, "Record progress on a term")
    check.get_by_label("The term is now fulfilled").check()
    check.get_by_role("button", name="Save progress").click()
    expect(page.locator(".messages")).to_contain_text("The case is closed: completed")
    screenshot("04-completed")
    letter = Letter.objects.get(case=case, kind="completion")
    with page.expect_download() as info:
        page.get_by_role("link", name="Completion letter").click()
    info.value.save_as(tmp_path / "letter.pdf")
    text = pdf_text((tmp_path / "letter.pdf").read_bytes())
    assert "Every offender has fulfilled their part" in text
    assert "$300.00 of $300.00 as amended (originally $300.00)" in text
    assert "The program holds $100.00 received and not yet forwarded to the victim" in text
    assert second.verification_code in text.replace("- ", "-") and "Program coordinator" in text
    assert "ana@example.org" not in text
    assert letter.agreement_id == second.pk
    sign_out(page)

    # The coordinator's report counts the money across both versions.
    sign_in(page, "coordinator")
    Program.objects.filter(pk=case.program_id).update(report_threshold=1)  # one case: shown only below 5
    referred = case.referral_date.isoformat()
    page.goto(f"/reports/outcomes/?program={case.program_id}&start={referred}&end={referred}")
    restitution = page.locator("section[aria-labelledby='section-restitution']")
    expect(restitution.get_by_role("row", name="Money agreed (first signed version)")).to_contain_text("$300.00")
    expect(restitution.get_by_role("row", name="Money collected")).to_contain_text("$300.00")
    expect(restitution.get_by_role("row", name="Held by the program")).to_contain_text("$100.00")
    screenshot("05-report")
