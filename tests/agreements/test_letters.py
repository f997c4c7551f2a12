"""A letter to the referral source at every closure, and a progress report before court."""

import datetime
from decimal import Decimal

import pytest

from agreements import follow_up
from agreements.models import Installment, Letter
from agreements.reminders import plan_follow_up_reminders
from cases.models import Case
from cases.services import case_close
from mediation import services as mediation
from tests.agreements.helpers import case_in_agreement, draft_with_money, pay, send, sign_all
from tests.agreements.helpers import letter_text as text_of
from tests.mediation.helpers import TODAY, assign, new_case, screen
from vom.audit.models import AuditEvent
from vom.notifications.models import Notification

D = Decimal


@pytest.fixture
def signed(program, coordinator, mediator):
    program.phone, program.email = "(555) 0100-2000", "vom@riverbend.example.org"
    program.save()
    case = case_in_agreement(program, coordinator, mediator)
    return sign_all(send(draft_with_money(case, mediator, total="300.00", count=3), mediator), mediator)


@pytest.mark.django_db
def test_a_victim_who_declined_closes_with_a_letter_that_gives_no_reasons(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    screen(case.parties.get(role="offender"), mediator)
    screen(case.parties.get(role="victim"), mediator, outcome="declined", reason="Afraid of meeting him again.")
    case = mediation.case_close_after_screening(case=Case.objects.get(pk=case.pk), expected_version=case.version + 0,
                                                actor=mediator)  # fmt: skip
    assert (case.stage, case.outcome) == ("closed", "declined")
    letter = Letter.objects.get()
    assert (letter.kind, letter.agreement, letter.outcome) == ("closure", None, "declined")
    text = text_of(letter)
    assert "a party chose not to take part" in text
    assert "Offender: willing to take part." in text and "Victim: chose not to take part." in text
    assert "Afraid" not in text and "ana@example.org" not in text
    assert "Dana Rivera, Program coordinator" in text  # a mediator's move; the program's coordinator signs
    assert AuditEvent.objects.filter(what__startswith=f"letter {letter.pk}", case_id=case.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("stage", "outcome", "says"), [
    ("screening", "withdrawn", "The program withdrew the case"),
    ("screening", "unreachable", "could not reach a party"),
    ("joint_session", "no_agreement", "did not reach an agreement"),
])  # fmt: skip
def test_every_closure_writes_its_letter(program, coordinator, mediator, stage, outcome, says):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    Case.objects.filter(pk=case.pk).update(stage=stage)
    case = Case.objects.get(pk=case.pk)
    case = case_close(case=case, expected_version=case.version, actor=coordinator, outcome=outcome,
                      reason="Private reason of the coordinator")  # fmt: skip
    letter = Letter.objects.get(case=case)
    text = text_of(letter)
    assert says in text and "Private reason" not in text
    assert (letter.kind, letter.outcome, letter.signatory) == ("closure", outcome, "Dana Rivera, Program coordinator")


@pytest.mark.django_db
def test_a_completion_letter_says_what_the_program_still_holds(signed, mediator):
    pay(signed.terms.get(kind="money"), "300.00", mediator)
    follow_up.disbursement_record(term=signed.terms.get(kind="money"), actor=mediator, amount=D("100.00"),
                                  paid_on=TODAY, method="check")  # fmt: skip
    follow_up.term_check_record(term=signed.terms.get(kind="apology"), actor=mediator, on=TODAY, fulfilled=True)
    letter = Letter.objects.get()
    text = text_of(letter)
    assert letter.kind == "completion" and "Every offender has fulfilled their part" in text
    assert "The program holds $200.00 received and not yet forwarded to the victim" in text
    assert "Nothing remains outstanding" not in text
    assert f"Kai Lopez Fulfilled {TODAY:%b} {TODAY.day}, {TODAY.year}" in text  # the date fulfilled
    assert signed.verification_code in text
    assert "(555) 0100-2000" in text and "vom@riverbend.example.org" in text


@pytest.mark.django_db
def test_a_progress_report_before_court_and_the_notice_that_links_to_it(client, signed, mediator, coordinator):
    case = Case.objects.get(pk=signed.case_id)
    Case.objects.filter(pk=case.pk).update(court_return_date=TODAY + datetime.timedelta(days=5))
    pay(signed.terms.get(kind="money"), "100.00", mediator)
    plan_follow_up_reminders()
    notice = Notification.objects.get(template="court_date")
    assert notice.context["report_url"].endswith(f"/cases/{case.pk}/progress-report/")
    client.force_login(coordinator)
    page = client.get(f"/cases/{case.pk}/progress-report/").content.decode()
    assert "paid $100.00 of $300.00" in page
    response = client.post(f"/cases/{case.pk}/progress-report/")
    letter = Letter.objects.get(kind="progress")
    assert response["Location"] == f"/cases/{case.pk}/#letter-{letter.pk}"
    text = text_of(letter)
    assert "progress report" in text.lower() and "$100.00" in text and "$200.00" in text
    apology_due = signed.terms.get(kind="apology").due_date  # before the second installment
    assert apology_due < Installment.objects.filter(term__agreement=signed).order_by("number")[1].due_date
    assert f"next due {apology_due:%b} {apology_due.day}, {apology_due.year}" in text
    assert Case.objects.get(pk=case.pk).stage == "follow_up"  # a report, not a closure
    client.force_login(mediator)
    assert client.post(f"/cases/{case.pk}/progress-report/").status_code == 403
