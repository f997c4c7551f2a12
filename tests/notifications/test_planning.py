"""Reminder planning: who is told what, when, and never twice."""

import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from agreements import follow_up
from agreements.models import Installment
from agreements.reminders import plan_follow_up_reminders
from cases.models import Case, OutcomeCheck, TimelineEvent
from cases.reminders import plan_case_reminders
from cases.services import case_close
from tests.agreements.helpers import case_in_agreement, draft_with_money, send, sign_all
from tests.mediation.helpers import assign, new_case
from vom.notifications.models import Notification
from vom.notifications.services import notifications_dispatch

TODAY = datetime.date.today()


def emailable(party, address):
    party.consent_to_contact, party.contact_method, party.email = True, "email", address
    party.save()


@pytest.fixture
def followed(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator, juvenile=True)
    emailable(case.parties.get(role="offender"), "kai@example.org")
    emailable(case.parties.get(role="guardian"), "rita@example.org")
    emailable(case.parties.get(role="victim"), "ana@example.org")
    agreement = sign_all(send(draft_with_money(case, mediator, total="300.00", count=3), mediator), mediator)
    Notification.objects.all().delete()  # meeting reminders from the preparation are not under test here
    return agreement


def set_first_due(agreement, day):
    first = Installment.objects.filter(term__agreement=agreement).order_by("number").first()
    Installment.objects.filter(pk=first.pk).update(due_date=day)


@pytest.mark.django_db
def test_an_installment_due_soon_reminds_the_offender_and_the_guardian_once(followed):
    set_first_due(followed, TODAY + timedelta(days=2))
    assert plan_follow_up_reminders() == 2
    assert plan_follow_up_reminders() == 0
    assert sorted(Notification.objects.values_list("email", flat=True)) == ["kai@example.org", "rita@example.org"]
    notifications_dispatch()
    assert {m.to[0] for m in mail.outbox} == {"kai@example.org", "rita@example.org"}
    assert all("$100.00" in m.subject for m in mail.outbox)
    assert not any("ana@example.org" in m.body for m in mail.outbox)  # the victim's address goes nowhere


@pytest.mark.django_db
def test_a_paid_installment_is_not_reminded(followed, mediator):
    set_first_due(followed, TODAY + timedelta(days=2))
    term = followed.terms.get(kind="money")
    follow_up.payment_record(term=term, actor=mediator, amount=Decimal("100.00"), received_on=TODAY, method="cash")
    assert plan_follow_up_reminders() == 0


@pytest.mark.django_db
def test_overdue_items_go_to_the_lead_mediator_and_the_coordinators(followed, mediator, coordinator):
    set_first_due(followed, TODAY - timedelta(days=1))
    plan_follow_up_reminders()
    overdue = Notification.objects.filter(template="overdue_item")
    assert set(overdue.values_list("user__username", flat=True)) == {mediator.username, coordinator.username}
    assert plan_follow_up_reminders() == 0


@pytest.mark.django_db
def test_quiet_cases_court_dates_and_due_checks_are_flagged(program, coordinator, mediator):
    quiet = assign(new_case(program, coordinator), coordinator, mediator)
    TimelineEvent.objects.filter(case=quiet).update(at=timezone.now() - timedelta(days=40))
    court = assign(new_case(program, coordinator), coordinator, mediator)
    Case.objects.filter(pk=court.pk).update(court_return_date=TODAY + timedelta(days=10))
    closed = new_case(program, coordinator)
    closed = case_close(
        case=closed, expected_version=closed.version, actor=coordinator, outcome="withdrawn", reason="x"
    )
    OutcomeCheck.objects.filter(case=closed, months=6).update(due_on=TODAY)
    plan_case_reminders()
    assert plan_case_reminders() == 0
    by_template = {}
    for template, username in Notification.objects.values_list("template", "user__username"):
        by_template.setdefault(template, set()).add(username)
    assert by_template["inactive_case"] == {mediator.username, coordinator.username}
    assert by_template["court_date"] == {coordinator.username}
    assert by_template["outcome_check_due"] == {coordinator.username}
    inactive = Notification.objects.filter(template="inactive_case").values_list("case_id", flat=True)
    assert set(inactive) == {quiet.pk}
    notifications_dispatch()
    in_app = Notification.objects.get(template="outcome_check_due")
    assert in_app.status == "sent" and in_app.subject.startswith("6-month reoffending check due")
    assert all("reoffending" not in m.subject for m in mail.outbox)  # in-app only


@pytest.mark.django_db
def test_a_late_apology_is_overdue_until_its_check_fulfils_it(followed, mediator):
    apology = followed.terms.get(kind="apology")
    type(apology).objects.filter(pk=apology.pk).update(due_date=TODAY - timedelta(days=2))
    plan_follow_up_reminders()
    assert Notification.objects.filter(
        template="overdue_item", dedupe_key__startswith=f"overdue:t{apology.pk}:"
    ).exists()
    Notification.objects.all().delete()
    follow_up.term_check_record(term=apology, actor=mediator, on=TODAY, fulfilled=True)
    plan_follow_up_reminders()
    assert not Notification.objects.filter(dedupe_key__startswith=f"overdue:t{apology.pk}:").exists()
    # The latest check decides, as on the Follow-up list: the letter turned out not to be sent after all.
    follow_up.term_check_record(term=apology, actor=mediator, on=TODAY, fulfilled=False)
    assert follow_up.follow_up_overview(Case.objects.filter(pk=followed.case_id))[0].status == "overdue"
    plan_follow_up_reminders()
    assert Notification.objects.filter(dedupe_key__startswith=f"overdue:t{apology.pk}:").exists()


@pytest.mark.django_db
def test_a_service_deadline_coming_up_reminds_the_offender(followed):
    apology = followed.terms.get(kind="apology")
    type(apology).objects.filter(pk=apology.pk).update(due_date=TODAY + timedelta(days=2))
    plan_follow_up_reminders()
    due = Notification.objects.filter(template="term_due")
    assert set(due.values_list("email", flat=True)) == {"kai@example.org", "rita@example.org"}
    assert plan_follow_up_reminders() == 0
