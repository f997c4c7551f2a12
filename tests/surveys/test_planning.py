"""Who is invited to the satisfaction survey, when, and never twice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cases.models import Case
from mediation import services as mediation
from surveys.models import SurveyInvitation
from surveys.selectors import survey_link
from surveys.services import survey_invitations_plan
from surveys.tasks import plan_survey_invitations_task
from tests.mediation.helpers import case_in_session
from vom.notifications.models import Notification
from vom.notifications.services import notifications_dispatch

from .conftest import emailable


def invited(case=None):
    rows = SurveyInvitation.objects.all() if case is None else SurveyInvitation.objects.filter(case=case)
    return sorted((i.party.role, i.occasion) for i in rows.select_related("party"))


def close(case, *, days_after_session):
    """Close the case that many days after its joint session (as the services would, without waiting)."""
    joint = case.meetings.get(kind="joint")
    Case.objects.filter(pk=case.pk).update(
        stage="closed", outcome="completed", closed_at=joint.scheduled_for + timedelta(days=days_after_session)
    )


def move_session(case, *, days_ago):
    case.meetings.filter(kind="joint").update(scheduled_for=timezone.now() - timedelta(days=days_ago))


@pytest.mark.django_db
def test_the_planner_invites_each_party_who_may_be_emailed_once(held):
    assert survey_invitations_plan() == 2
    assert invited() == [("guardian", "joint_session"), ("offender", "joint_session")]
    assert sorted(Notification.objects.values_list("email", flat=True)) == ["kai@example.org", "rita@example.org"]
    # A second run, or a retry, adds nothing: the invitations are unique and the emails deduplicated.
    assert survey_invitations_plan() == 0
    assert plan_survey_invitations_task.apply().get() == 0  # the beat task, run here
    assert SurveyInvitation.objects.count() == 2 and Notification.objects.count() == 2


@pytest.mark.django_db
def test_parties_who_did_not_consent_to_email_are_not_invited(held):
    offender = held.parties.get(role="offender")
    offender.consent_to_contact = False
    offender.save()
    guardian = held.parties.get(role="guardian")
    guardian.email = ""
    guardian.save()
    survey_invitations_plan()
    assert invited() == []


@pytest.mark.django_db
def test_a_party_who_consents_later_is_invited_on_the_next_run(held):
    survey_invitations_plan()
    emailable(held.parties.get(role="victim"), "ana@example.org")
    assert survey_invitations_plan() == 1
    assert ("victim", "joint_session") in invited()


@pytest.mark.django_db
def test_only_those_who_attended_are_asked_when_attendance_was_recorded(held, joint):
    joint.attendees.set([held.parties.get(role="offender"), held.parties.get(role="victim")])
    survey_invitations_plan()
    assert invited() == [("offender", "joint_session")]


@pytest.mark.django_db
def test_a_case_that_closes_weeks_after_the_session_is_asked_again_at_closure(held):
    move_session(held, days_ago=20)
    close(held, days_after_session=18)
    survey_invitations_plan()
    assert invited() == [
        ("guardian", "closure"), ("guardian", "joint_session"), ("offender", "closure"), ("offender", "joint_session")
    ]  # fmt: skip
    assert Notification.objects.filter(template="survey_invitation").count() == 4
    assert survey_invitations_plan() == 0


@pytest.mark.django_db
def test_closure_alone_when_the_session_was_long_ago(held):
    move_session(held, days_ago=200)
    close(held, days_after_session=199)
    survey_invitations_plan()
    assert invited() == [("guardian", "closure"), ("offender", "closure")]


@pytest.mark.django_db
def test_a_case_closed_right_after_its_session_is_not_asked_twice(held):
    close(held, days_after_session=0)
    survey_invitations_plan()
    assert invited() == [("guardian", "joint_session"), ("offender", "joint_session")]


@pytest.mark.django_db
def test_no_invitation_without_a_held_joint_session(program, coordinator, mediator):
    case, _joint = case_in_session(program, coordinator, mediator)  # scheduled, not yet held
    for party in case.parties.all():
        emailable(party, f"{party.role}@example.org")
    survey_invitations_plan()
    Case.objects.filter(pk=case.pk).update(stage="closed", outcome="withdrawn", closed_at=timezone.now())
    survey_invitations_plan()
    assert invited() == []


@pytest.mark.django_db
def test_sessions_held_long_ago_and_anonymised_cases_are_left_alone(held, program, coordinator, mediator):
    move_session(held, days_ago=31)  # the day this is deployed, old sessions get no survey
    survey_invitations_plan()
    assert invited() == []
    move_session(held, days_ago=1)
    Case.objects.filter(pk=held.pk).update(anonymised_at=timezone.now())
    survey_invitations_plan()
    assert invited() == []


@pytest.mark.django_db
def test_the_email_names_the_program_and_carries_a_working_link_with_its_expiry(held, settings):
    settings.SITE_URL = "https://vom.example.org/"
    survey_invitations_plan()
    notifications_dispatch()
    message = next(m for m in mail.outbox if m.to == ["kai@example.org"])
    invitation = SurveyInvitation.objects.get(party__role="offender")
    expiry = timezone.localtime(invitation.created_at + timedelta(days=30)).date()
    assert invitation.expires_at == invitation.created_at + timedelta(days=30)
    assert message.subject == "How was your mediation? A few questions from Riverbend VOM"
    body = message.body
    assert "Hello Kai Lopez," in body and "Riverbend VOM" in body
    assert f"until {expiry:%B} {expiry.day}, {expiry.year}" in body
    assert "(555) 0100-2000 or vom@riverbend.example.org" in body
    link = next(line.strip() for line in body.splitlines() if "/survey/" in line)
    assert link.startswith("https://vom.example.org/survey/") and "//survey" not in link
    assert survey_link(link.removeprefix("https://vom.example.org/survey/").rstrip("/")).invitation == invitation
    html = message.alternatives[0][0]
    assert f'href="{link}"' in html
    # Nothing about the case or the other side: no case number, offense, or anyone else's name or address.
    for secret in (held.number, "Broke a window", "Ana", "Price", "rita@example.org", "ana@example.org"):
        assert secret not in body and secret not in html and secret not in message.subject


@pytest.mark.django_db
def test_the_closure_email_says_the_case_is_closed(held):
    move_session(held, days_ago=60)
    close(held, days_after_session=59)
    survey_invitations_plan()
    notifications_dispatch()
    assert {m.subject for m in mail.outbox} == {"Your case is closed: a few questions from Riverbend VOM"}
    assert all("is now closed" in m.body for m in mail.outbox)


@pytest.mark.django_db
def test_held_through_the_services_the_session_is_surveyed(program, coordinator, mediator):
    case, joint = case_in_session(program, coordinator, mediator)
    emailable(case.parties.get(role="victim"), "ana@example.org")
    mediation.meeting_hold(meeting=joint, expected_version=joint.version, actor=mediator, outcome="no_agreement",
                           attendees=list(case.parties.all()))  # fmt: skip
    survey_invitations_plan()
    assert invited(case) == [("victim", "joint_session")]


@pytest.mark.django_db
@pytest.mark.parametrize("extra_cases", [0, 3])
def test_planning_reads_in_a_fixed_number_of_queries(held, program, coordinator, mediator, extra_cases,
                                                     django_assert_num_queries):  # fmt: skip
    from tests.agreements.helpers import case_in_agreement

    for _ in range(extra_cases):
        case = case_in_agreement(program, coordinator, mediator)
        emailable(case.parties.get(role="victim"), f"victim{case.pk}@example.org")
    # 1 recent sessions, 2 recent closures, 3 their cases with programs, 4 held sessions, 5 attendees,
    # 6 parties with people; 7 savepoint, 8 insert invitations, 9 invitations to email, 10 emails
    # already queued, 11 insert emails, 12 release the savepoint.
    with django_assert_num_queries(12):
        survey_invitations_plan()
    assert Notification.objects.filter(template="survey_invitation").count() == 2 + extra_cases
