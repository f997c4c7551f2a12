"""The whole journey of one case in a real browser, on a fresh database, as its users would take it.

The coordinator takes a referral (a juvenile offender with a guardian, both reachable by email, and a
victim) and assigns a mediator. The mediator screens the three parties, holds both preparation
meetings and the joint session, writes the agreement (a $400 restitution in three monthly installments
and an apology letter), and every required signer draws a signature on the screen. The signed PDF is
downloaded and read. A first partial payment is recorded; the reminder planner and the dispatcher run
as beat and a worker would and email the offender and the guardian what is still open of the
installment due in two days. The remaining payments and the apology letter fulfil the agreement, which
closes the case as completed with its letter. The coordinator sees it on the dashboard and in the
outcome report.

Each step keeps a screenshot under test-artifacts/screenshots/ (git-ignored).
"""

import datetime
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from agreements.models import Agreement, Letter
from agreements.tasks import plan_follow_up_reminders_task
from cases.models import Case, Program
from tests.documents import pdf_text
from tests.e2e.test_agreement import draw
from tests.e2e.test_pipeline import (
    PASSWORD,
    plan_meetings,
    prep_and_joint,
    screen_party,
    sign_in,
    sign_out,
    staff,  # noqa: F401 (the fixture that seeds the demo program and its staff)
)
from vom.notifications.models import Notification
from vom.notifications.tasks import dispatch_notifications

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OFFENDER, GUARDIAN, VICTIM, MEDIATOR = "Jordan Ellis", "Pat Ellis", "Marta Novak", "Grace Okafor"
OFFENDER_EMAIL, GUARDIAN_EMAIL, VICTIM_EMAIL = "jordan.ellis@example.org", "pat.ellis@example.org", "marta@example.org"
INSTALLMENTS = [Decimal("133.34"), Decimal("133.33"), Decimal("133.33")]  # $400.00 split to the cent
FIRST_PAYMENT = Decimal("50.00")


def dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def download(page, link, path):
    with page.expect_download() as info:
        link.click()
    info.value.save_as(path)
    return path


def card(page, heading):
    """The card (a form's section) under ``heading``: several forms on one page share field labels."""
    return page.locator("section.card").filter(has=page.get_by_role("heading", name=heading, exact=True))


def fill_party(page, prefix, first, last, *, born=None, email="", phone="", address="", contact="email"):
    page.locator(f"#id_{prefix}-first_name").fill(first)
    page.locator(f"#id_{prefix}-last_name").fill(last)
    if born:
        page.locator(f"#id_{prefix}-date_of_birth").fill(born.isoformat())
    page.locator(f"#id_{prefix}-consent_to_contact").check()
    page.locator(f"#id_{prefix}-contact_method").select_option(contact)
    page.locator(f"#id_{prefix}-email").fill(email)
    page.locator(f"#id_{prefix}-phone").fill(phone)
    if address:
        page.locator(f"#id_{prefix}-address").fill(address)


# --- Coordinator ----------------------------------------------------------------------------------


def step_intake(page, screenshot, today) -> Case:
    sign_in(page, "coordinator")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New referral").click()
    expect(page.get_by_role("heading", name="New referral")).to_be_visible()
    page.locator("#id_case-referral_source").select_option(label="Youth Diversion Program")
    page.locator("#id_case-referral_date").fill((today - datetime.timedelta(days=10)).isoformat())
    page.locator("#id_case-referral_type").select_option("diversion")
    page.locator("#id_case-offense_category").select_option("property")
    page.locator("#id_case-incident_date").fill((today - datetime.timedelta(days=25)).isoformat())
    page.locator("#id_case-offense_description").fill("Spray-painted the back wall of the corner shop.")
    fill_party(page, "offender", "Jordan", "Ellis", born=today - relativedelta(years=15, months=2),
               email=OFFENDER_EMAIL, phone="(612) 555-0101")  # fmt: skip
    fill_party(page, "guardian", "Pat", "Ellis", email=GUARDIAN_EMAIL, phone="(612) 555-0102")
    fill_party(page, "victim", "Marta", "Novak", email=VICTIM_EMAIL, phone="(612) 555-0199",
               address="4 Corner Street", contact="phone")  # fmt: skip
    screenshot("01-referral-form")
    page.get_by_role("button", name="Create case").click()
    expect(page.locator(".messages")).to_contain_text("created. Assign a mediator next.")
    case = Case.objects.get()
    # Intake goes straight on to assigning the case.
    expect(page.get_by_role("heading", name=f"Assign mediators — case {case.number}")).to_be_visible()
    screenshot("02-case-created")
    return case


def step_assign(page, screenshot):
    page.get_by_label("Lead mediator").select_option(label=MEDIATOR)
    page.get_by_label("Co-mediator").select_option(label="Erik Lindqvist")
    screenshot("03-assign")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator(".messages")).to_contain_text("Mediators assigned.")
    expect(page.locator(".subhead .stage")).to_contain_text("Screening")
    parties = page.locator("ul.parties")
    expect(parties).to_contain_text(f"{GUARDIAN} — Parent / guardian for {OFFENDER}")
    expect(parties).to_contain_text(VICTIM_EMAIL)  # the coordinator may see the victim's contact details
    screenshot("04-assigned")
    sign_out(page)


# --- Mediator: screening to the joint session ----------------------------------------------------


def step_screening(page, screenshot, case):
    sign_in(page, "mediator")
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    expect(page.get_by_role("link", name=f"Contact the offender {OFFENDER}")).to_be_visible()
    screenshot("05-mediator-home")
    page.get_by_role("link", name=case.number).click()
    screen_party(page, OFFENDER, ["Acknowledges responsibility", "Willing to make amends"])
    screen_party(page, GUARDIAN, ["Agrees to the young person taking part"])
    screen_party(page, VICTIM, ["Willing to meet face to face"])
    # The last screening moves the case on by itself, and says why.
    expect(page.locator(".messages")).to_contain_text("Moved to preparation because every party is screened suitable.")
    screenshot("06-screened")


def step_preparation(page, screenshot):
    plan_meetings(page, prep_and_joint(timezone.now()))
    for kind in ("Preparation meeting, offender side", "Preparation meeting, victim side"):
        expect(page.get_by_role("heading", name=kind)).to_be_visible()
        page.get_by_label("What this side hopes to achieve").fill("To be heard and to put things right.")
        page.get_by_role("button", name="Record as held").click()
        expect(page.locator(".messages")).to_contain_text("Meeting recorded.")
    expect(page.locator(".messages")).to_contain_text("Moved to joint session because both sides are prepared")
    screenshot("07-prepared")


def step_joint_session(page, screenshot):
    expect(page.get_by_role("heading", name="Joint session")).to_be_visible()
    page.get_by_label("What happened").fill("Marta spoke first. Jordan apologised and offered to pay for the paint.")
    page.get_by_label("Agreement reached").check()
    screenshot("08-joint-session")
    page.get_by_role("button", name="Record as held").click()
    expect(page.locator(".messages")).to_contain_text("Meeting recorded.")
    expect(page.locator(".messages")).to_contain_text("Moved to agreement because the mediation reached an agreement.")
    screenshot("09-agreement-stage")


# --- The written agreement -------------------------------------------------------------------------


def step_draft_agreement(page, screenshot, first_due, due_dates):
    page.get_by_role("button", name="Draft the agreement").click()
    expect(page.locator(".messages")).to_contain_text("Agreement drafted. Add its terms.")
    page.get_by_role("link", name="Add a term").click()
    page.get_by_label("Money to the victim").check()
    page.get_by_label("Description").fill("Pay for the repainting of the wall.")
    page.get_by_label("Total amount").fill("400")
    page.get_by_label("Number of installments").fill("3")
    page.get_by_label("Frequency").select_option("monthly")
    page.get_by_label("First installment due").fill(first_due.isoformat())
    screenshot("10-money-term")
    page.get_by_role("button", name="Add the term").click()
    expect(page.locator(".messages")).to_contain_text("Term added.")
    schedule_rows = page.locator(".document table.schedule tbody tr")
    expect(schedule_rows).to_have_count(3)
    for row, day, amount in zip(schedule_rows.all(), due_dates, INSTALLMENTS, strict=True):
        expect(row).to_contain_text(f"{day:%b} {day.day}, {day.year}")
        expect(row).to_contain_text(dollars(amount))

    page.get_by_role("link", name="Add a term").click()
    page.get_by_label("Apology letter").check()
    page.get_by_label("Description").fill("Write Marta a letter of apology, handed over through the mediator.")
    page.get_by_label("Due date").fill((first_due + datetime.timedelta(days=12)).isoformat())
    page.get_by_role("button", name="Add the term").click()
    expect(page.locator(".messages")).to_contain_text("Term added.")
    expect(page.locator(".document ol.terms > li")).to_have_count(2)
    page.get_by_role("button", name="Ready for signatures").click()
    expect(page.locator(".messages")).to_contain_text("Ready for signatures.")
    screenshot("11-awaiting-signatures")


def step_sign(page, screenshot):
    signers = [OFFENDER, GUARDIAN, VICTIM, MEDIATOR]  # the guardian signs for a juvenile; the lead mediator too
    expect(page.get_by_role("link", name="Sign as")).to_have_count(len(signers))
    for number, name in enumerate(signers, start=1):
        page.get_by_role("link", name=f"Sign as {name}").click()
        expect(page.get_by_role("heading", name=f"{name} signs")).to_be_visible()
        draw(page)
        if number == 1:
            screenshot("12-signature-drawn")
        if name == MEDIATOR:  # signed in as herself: she confirms it is her, as nobody else could
            page.get_by_label("Your password").fill(PASSWORD)
            screenshot("12b-mediator-confirms")
        page.get_by_role("button", name="Save signature").click()
        expected = "Everyone has signed" if number == len(signers) else f"{name} has signed."
        expect(page.locator(".messages")).to_contain_text(expected)
    expect(page.locator(".subhead")).to_contain_text("Signed")
    screenshot("13-signed")


def step_signed_pdf(page, tmp_path, case, due_dates):
    path = download(page, page.get_by_role("link", name="Download signed PDF"), tmp_path / "signed.pdf")
    text = pdf_text(path.read_bytes())
    agreement = Agreement.objects.get(case=case)
    assert agreement.status == Agreement.Status.SIGNED
    assert case.number in text
    for name in (OFFENDER, GUARDIAN, VICTIM, MEDIATOR):
        assert name in text
    assert "$400.00" in text
    for number, (day, amount) in enumerate(zip(due_dates, INSTALLMENTS, strict=True), start=1):
        assert f"{number} {day:%b} {day.day}, {day.year} {dollars(amount)}" in text  # the schedule's rows
    assert "Page 1 of" in text
    assert f"Verification code {agreement.verification_code}" in text
    assert text.count("(drawn on") == 4
    # Victim contact details never reach a document the offender gets.
    assert VICTIM_EMAIL not in text and "Corner Street" not in text and "555-0199" not in text and "5550199" not in text
    return agreement


# --- Follow-up -------------------------------------------------------------------------------------


def open_follow_up(page, case):
    """From the signed agreement, through the case page to its follow-up."""
    page.locator(".subhead").get_by_role("link", name=case.number).click()
    expect(page.locator(".subhead .stage")).to_have_text("Follow-up")
    page.locator("section[aria-labelledby='h-agreement']").get_by_role("link", name="Follow-up").click()
    expect(page.get_by_role("heading", name="Follow-up", exact=True)).to_be_visible()


def record_payment(page, amount: Decimal, reference: str):
    form = card(page, "Record a payment received")
    form.get_by_label("Amount").fill(str(amount))
    form.get_by_label("Method").select_option("money_order")
    form.get_by_label("Reference").fill(reference)
    form.get_by_role("button", name="Save payment").click()
    expect(page.locator(".messages")).to_contain_text("Payment recorded.")


def step_first_payment(page, screenshot, case):
    open_follow_up(page, case)
    expect(page.locator(".subhead .compliance")).to_have_text("Due soon")
    record_payment(page, FIRST_PAYMENT, "MO-1001")
    ledger = page.locator("table.ledger tbody tr")
    expect(ledger).to_contain_text(dollars(FIRST_PAYMENT))  # received
    expect(ledger).to_contain_text("$350.00")  # outstanding
    screenshot("14-first-payment")


def step_reminder(first_due):
    """Beat plans the reminders, a worker dispatches them: the task functions run in-process here."""
    mail.outbox.clear()
    open_amount = INSTALLMENTS[0] - FIRST_PAYMENT
    queued = plan_follow_up_reminders_task.apply().get()
    assert queued == 2  # the offender and the guardian of a juvenile, each consented to email
    sent = dispatch_notifications.apply().get()
    assert sent["sent"] >= 2 and sent["failed"] == 0
    reminders = [m for m in mail.outbox if m.subject.startswith("Payment of")]
    assert sorted(address for m in reminders for address in m.to) == sorted([OFFENDER_EMAIL, GUARDIAN_EMAIL])
    day = f"{first_due:%A}, {first_due:%B} {first_due.day}, {first_due.year}"  # the party's language's full date
    for message in reminders:
        assert message.subject == f"Payment of {dollars(open_amount)} due {day}"
        assert f"the next payment of {dollars(open_amount)}" in message.body and day in message.body
        assert VICTIM_EMAIL not in message.body and VICTIM not in message.body
    assert not any(VICTIM_EMAIL in m.to for m in mail.outbox)
    rows = Notification.objects.filter(template="installment_due")
    assert set(rows.values_list("status", flat=True)) == {Notification.Status.SENT}
    # A second beat and a second worker add and send nothing.
    assert plan_follow_up_reminders_task.apply().get() == 0
    assert dispatch_notifications.apply().get()["sent"] == 0
    assert len([m for m in mail.outbox if m.subject.startswith("Payment of")]) == 2


def step_fulfil(page, screenshot, tmp_path, case):
    page.reload()
    record_payment(page, INSTALLMENTS[0] - FIRST_PAYMENT, "MO-1002")
    installments = page.locator("table.table").filter(has_text="Installments").locator("tbody tr")
    expect(installments.nth(0)).to_contain_text(f"{dollars(INSTALLMENTS[0])}$0.00")  # paid, nothing open
    record_payment(page, INSTALLMENTS[1], "MO-1003")
    form = card(page, "Forward money to the victim")
    form.get_by_label("Amount").fill(str(INSTALLMENTS[0] + INSTALLMENTS[1]))
    form.get_by_label("Method").select_option("transfer")
    form.get_by_role("button", name="Save forwarding").click()
    expect(page.locator(".messages")).to_contain_text("Money forwarded to the victim recorded.")
    form = card(page, "Record progress on a term")
    form.get_by_label("Note").fill("Letter read and handed to Marta by the mediator.")
    form.get_by_label("The term is now fulfilled").check()
    form.get_by_role("button", name="Save progress").click()
    expect(page.locator(".messages")).to_contain_text("Progress on the term recorded.")
    screenshot("15-before-last-payment")
    record_payment(page, INSTALLMENTS[2], "MO-1004")
    # The last payment fulfils every term: the case closes as completed, with its letter.
    expect(page.locator(".messages")).to_contain_text("The case is closed: completed: agreement fulfilled.")
    expect(page.locator(".subhead .stage")).to_have_text("Closed: Completed: agreement fulfilled")
    screenshot("16-closed-completed")
    case.refresh_from_db()
    assert (case.stage, case.outcome) == (Case.Stage.CLOSED, Case.Outcome.COMPLETED)
    letter = Letter.objects.get(case=case)
    assert letter.kind == Letter.Kind.COMPLETION
    path = download(page, page.get_by_role("link", name=letter.get_kind_display()), tmp_path / "letter.pdf")
    text = pdf_text(path.read_bytes())
    assert "Restitution agreement fulfilled" in text and "Every offender has fulfilled their part" in text
    assert f"The program holds {dollars(INSTALLMENTS[2])} received and not yet forwarded" in text
    assert case.number in text and OFFENDER in text
    assert VICTIM_EMAIL not in text and "Corner Street" not in text


def step_forward_the_last_payment(page, screenshot):
    """The last payment closed the case; the program still forwards it to the victim afterwards."""
    page.locator("section[aria-labelledby='h-agreement']").get_by_role("link", name="Follow-up").click()
    ledger = page.locator("table.ledger tbody tr")
    # agreed, received, forwarded, held, outstanding
    expect(ledger).to_contain_text(f"$400.00$400.00$266.67{dollars(INSTALLMENTS[2])}$0.00")
    expect(page.get_by_text("The case is closed. The program still holds money")).to_be_visible()
    expect(card(page, "Record a payment received")).to_have_count(0)
    form = card(page, "Forward money to the victim")
    form.get_by_label("Amount").fill(str(INSTALLMENTS[2]))
    form.get_by_label("Method").select_option("transfer")
    form.get_by_role("button", name="Save forwarding").click()
    expect(page.locator(".messages")).to_have_text("Money forwarded to the victim recorded.")
    expect(ledger).to_contain_text("$400.00$400.00$400.00$0.00$0.00")  # everything forwarded, nothing outstanding
    expect(card(page, "Forward money to the victim")).to_have_count(0)
    screenshot("17-all-forwarded")
    sign_out(page)


# --- Coordinator: dashboard and outcome report ---------------------------------------------------


def step_dashboard(page, screenshot):
    sign_in(page, "coordinator")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    funnel = page.get_by_role("figure", name="From referral to completion")
    expect(funnel).to_be_visible()
    numbers = funnel.locator("table tbody tr")
    # One case is fewer than the program's threshold: the figure is not shown, only its range.
    expect(numbers.filter(has_text="Referred")).to_contain_text("fewer than 5")
    # A program that lowers its threshold (in the admin) sees the case counted, to the cent.
    Program.objects.update(report_threshold=1)
    page.reload()
    expect(numbers.filter(has_text="Referred")).to_contain_text("1")
    expect(numbers.filter(has_text="Agreement")).to_contain_text("1 (100%)")
    expect(numbers.filter(has_text="Completed")).to_contain_text("1 (100%)")
    expect(page.locator("section[aria-labelledby='restitution-title']")).to_contain_text("$400.00")
    screenshot("18-dashboard")
    page.get_by_role("link", name="Outcome report for this period").click()
    expect(page.get_by_role("heading", name="Outcome report")).to_be_visible()
    progress = page.locator("section[aria-labelledby='section-progress']")
    expect(progress.get_by_role("row", name="Reached a written agreement")).to_contain_text("1")
    fulfilled = progress.get_by_role("row", name="Agreements fulfilled")
    expect(fulfilled.locator("td").first).to_contain_text("1")
    restitution = page.locator("section[aria-labelledby='section-restitution']")
    expect(restitution.get_by_role("row", name="Money collected")).to_contain_text("$400.00")
    screenshot("19-outcome-report")


@pytest.mark.usefixtures("staff")
def test_the_whole_journey_in_the_browser(page, screenshot, tmp_path):
    today = timezone.localdate()
    first_due = today + datetime.timedelta(days=2)  # inside the three-day reminder horizon
    due_dates = [first_due + relativedelta(months=n) for n in range(3)]

    case = step_intake(page, screenshot, today)
    step_assign(page, screenshot)
    step_screening(page, screenshot, case)
    step_preparation(page, screenshot)
    step_joint_session(page, screenshot)
    step_draft_agreement(page, screenshot, first_due, due_dates)
    step_sign(page, screenshot)
    step_signed_pdf(page, tmp_path, case, due_dates)
    step_first_payment(page, screenshot, case)
    step_reminder(first_due)
    step_fulfil(page, screenshot, tmp_path, case)
    step_forward_the_last_payment(page, screenshot)
    step_dashboard(page, screenshot)
