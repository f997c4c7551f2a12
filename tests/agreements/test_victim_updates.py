"""The victim kept informed by their choice: updates through the outbox, and a link that stops them at once."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from agreements import follow_up
from agreements.models import Installment
from agreements.reminders import plan_follow_up_reminders
from agreements.victim_updates import stop_token
from cases.models import Party
from tests.agreements.helpers import amend, case_in_agreement, draft_with_money, pay, send, sign_all
from tests.mediation.helpers import TODAY
from vom.notifications.models import Notification
from vom.notifications.services import notifications_dispatch

D = Decimal


def emailable(party, address, updates=False):
    party.consent_to_contact, party.contact_method, party.email = True, "email", address
    party.victim_updates = updates
    party.save()


@pytest.fixture
def followed(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    emailable(case.parties.get(role="offender"), "kai@example.org")
    agreement = sign_all(send(draft_with_money(case, mediator, total="300.00", count=3), mediator), mediator)
    Notification.objects.all().delete()
    return agreement


def late(agreement):
    """The first two installments fell due a few days ago."""
    for number, days in ((1, 5), (2, 3)):
        Installment.objects.filter(term__agreement=agreement, number=number).update(
            due_date=TODAY - datetime.timedelta(days=days)
        )


def victim_of(agreement):
    return agreement.case.parties.get(role="victim")


@pytest.mark.django_db
def test_no_updates_unless_the_victim_asked(followed, mediator):
    emailable(victim_of(followed), "ana@example.org", updates=False)
    money = followed.terms.get(kind="money")
    pay(money, "100.00", mediator)
    follow_up.disbursement_record(term=money, actor=mediator, amount=D("100.00"), paid_on=TODAY, method="check")
    assert not Notification.objects.filter(template="victim_update").exists()


@pytest.mark.django_db
def test_a_victim_who_opted_in_hears_of_each_step_once(followed, mediator, client):
    emailable(victim_of(followed), "ana@example.org", updates=True)
    money = followed.terms.get(kind="money")
    late(followed)
    pay(money, "100.00", mediator)  # the first installment; the second stays missed
    follow_up.disbursement_record(term=money, actor=mediator, amount=D("100.00"), paid_on=TODAY, method="check")
    plan_follow_up_reminders()
    plan_follow_up_reminders()
    amended = sign_all(send(amend(followed, mediator), mediator), mediator)
    updates = Notification.objects.filter(template="victim_update").order_by("pk")
    heads = [n.context["headline"] for n in updates]
    assert heads == [
        "$100.00 has been forwarded to you",
        "A part of the agreement was missed and is being followed up",
        "The restitution plan was changed",
    ]
    assert set(updates.values_list("email", flat=True)) == {"ana@example.org"}
    notifications_dispatch()
    sent = [m for m in mail.outbox if m.to == ["ana@example.org"]]
    assert len(sent) == 3
    for message in sent:
        assert "kai@example.org" not in message.body and "Lopez" not in message.body  # nothing of the offender
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"/updates/stop/{stop_token(victim_of(followed))}/" in message.body
    assert f"version {amended.number}" in sent[-1].body


@pytest.mark.django_db
def test_the_link_asks_then_stops_every_update_at_once(followed, mediator, client):
    victim = victim_of(followed)
    emailable(victim, "ana@example.org", updates=True)
    late(followed)
    pay(followed.terms.get(kind="money"), "100.00", mediator)
    plan_follow_up_reminders()
    pending = Notification.objects.get(template="victim_update")
    url = f"/updates/stop/{stop_token(victim)}/"
    page = client.get(url)  # a mail scanner opening the link changes nothing
    assert page.status_code == 200 and b"Stop the updates" in page.content
    assert Party.objects.get(pk=victim.pk).victim_updates is True
    response = client.post(url)
    assert b"Updates stopped" in response.content
    assert Party.objects.get(pk=victim.pk).victim_updates is False
    pending.refresh_from_db()
    assert pending.status == "cancelled"
    Installment.objects.filter(term__agreement=followed, number=3).update(due_date=TODAY - datetime.timedelta(days=2))
    plan_follow_up_reminders()
    assert Notification.objects.filter(template="victim_update").count() == 1  # nothing new
    assert client.get("/updates/stop/forged-token/").status_code == 404


@pytest.mark.django_db
def test_a_mail_clients_one_click_unsubscribe_works_without_a_form_token(followed):
    from django.test import Client

    victim = victim_of(followed)
    emailable(victim, "ana@example.org", updates=True)
    client = Client(enforce_csrf_checks=True)
    url = f"/updates/stop/{stop_token(victim)}/"
    assert client.post(url, {"anything": "else"}).status_code == 403  # the page's own form needs its token
    assert Party.objects.get(pk=victim.pk).victim_updates is True
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Party.objects.get(pk=victim.pk).victim_updates is False


@pytest.mark.django_db
def test_an_organisation_victim_hears_of_non_completion_through_its_representative(program, coordinator, mediator):
    from cases.services import PartyInput, case_intake
    from tests.factories import ReferralSourceFactory
    from tests.mediation.helpers import assign

    case = case_intake(program=program, actor=coordinator, referral={
        "referral_source": ReferralSourceFactory(program=program), "referral_date": TODAY - datetime.timedelta(days=10),
        "referral_type": "diversion", "court_ordered": False, "court_return_date": None, "offense_category": "property",
        "incident_date": TODAY - datetime.timedelta(days=30), "offense_description": "Shoplifting.",
    }, parties=[
        PartyInput(role="offender", first_name="Kai", last_name="Lopez",
                   date_of_birth=TODAY.replace(year=TODAY.year - 30)),
        PartyInput(role="victim", kind="organisation", organisation_name="Corner Shop"),
        PartyInput(role="victim_rep", first_name="Mo", last_name="Khan", related_index=1, consent_to_contact=True,
                   contact_method="email", email="mo@cornershop.example.org"),
    ])  # fmt: skip
    from mediation import services as mediation
    from tests.mediation.helpers import ago, prepare_both_sides, screen

    case = assign(case, coordinator, mediator)
    for role in ("offender", "victim_rep"):
        screen(case.parties.get(role=role), mediator)
    case = mediation.case_begin_preparation(case=case, expected_version=case.version, actor=mediator)
    prepare_both_sides(case, mediator)
    joint = mediation.meeting_schedule(case=case, actor=mediator, kind="joint", scheduled_for=ago(1), location="Shop")
    case = mediation.case_begin_session(case=case, expected_version=case.version, actor=mediator)
    mediation.meeting_hold(meeting=joint, expected_version=joint.version, actor=mediator, outcome="agreement")
    case = mediation.case_record_agreement(case=case, expected_version=case.version, actor=mediator)
    signed = sign_all(send(draft_with_money(case, mediator), mediator), mediator)
    Installment.objects.filter(term__agreement=signed).update(due_date=TODAY - datetime.timedelta(days=40))
    Notification.objects.all().delete()
    case.refresh_from_db()
    follow_up.case_return_to_source(case=case, expected_version=case.version, actor=coordinator, reason="Unpaid.")
    update = Notification.objects.get(template="victim_update")
    assert (update.email, update.context["headline"]) == (
        "mo@cornershop.example.org",
        "The agreement was not completed",
    )
