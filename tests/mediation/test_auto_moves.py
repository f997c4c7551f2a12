"""Stages that follow from the mediator's own work move by themselves, say so, and leave decisions alone."""

import datetime

import pytest
from django.utils import timezone

from cases.models import Case, TimelineEvent
from cases.services import case_advance
from mediation import services
from mediation.models import Meeting
from tests.mediation.helpers import TODAY, ago, assign, case_in_preparation, new_case, prepare_both_sides, screen


def post_screening(client, party, **answers):
    role_answers = {
        "offender": {"acknowledges_responsibility": "on", "willing_to_make_amends": "on"},
        "victim": {"willing_to_meet": "on"},
    }[party.role]
    data = {"screened_on": TODAY.isoformat(), "outcome": "suitable", "consent_given_on": TODAY.isoformat(),
            "emotionally_ready": "on", "understands_voluntary": "on", **role_answers, **answers}  # fmt: skip
    return client.post(
        f"/cases/{party.case_id}/parties/{party.pk}/screening/",
        {f"screening-{name}": value for name, value in data.items()},
        follow=True,
    )


def stage(case) -> str:
    return Case.objects.get(pk=case.pk).stage


@pytest.mark.django_db
def test_the_last_screening_moves_the_case_to_preparation_and_says_why(client, program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    client.force_login(mediator)
    first = post_screening(client, case.parties.get(role="offender")).content.decode()
    assert stage(case) == "screening" and "Moved to" not in first
    # The blocked move's button is disabled, its reasons beside it.
    assert 'disabled aria-describedby="move-begin_preparation-why move-begin_preparation-missing"' in first
    assert "The case moves on by itself once every party is screened suitable." in first
    page = post_screening(client, case.parties.get(role="victim")).content.decode()
    assert stage(case) == "preparation"
    assert "Moved to preparation because every party is screened suitable." in page
    event = TimelineEvent.objects.filter(case=case, kind="stage").latest("at")
    assert (event.from_stage, event.to_stage, event.actor) == ("screening", "preparation", mediator)


@pytest.mark.django_db
def test_a_declined_screening_does_not_close_the_case_by_itself(client, program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    client.force_login(mediator)
    post_screening(client, case.parties.get(role="offender"))
    page = post_screening(
        client, case.parties.get(role="victim"), outcome="declined", reason="Does not want to"
    ).content
    assert stage(case) == "screening"
    assert "Close: a party cannot take part" in page.decode()  # the decision stays the coordinator's button


@pytest.mark.django_db
def test_the_second_preparation_held_moves_to_the_joint_session_once_it_is_scheduled(
    client, program, coordinator, mediator
):
    case = case_in_preparation(program, coordinator, mediator)
    client.force_login(mediator)
    meetings = []
    for kind in ("prep_offender", "prep_victim"):
        client.post(f"/cases/{case.pk}/meetings/new/?kind={kind}",
                    {"kind": kind, "scheduled_for": timezone.localtime(ago()).strftime("%Y-%m-%dT%H:%M"),
                     "duration_minutes": 60, "location": "Office"})  # fmt: skip
        meetings.append(Meeting.objects.get(case=case, kind=kind))
    hold = lambda m: client.post(f"/cases/{case.pk}/meetings/{m.pk}/hold/", {"version": m.version}, follow=True)  # noqa: E731
    hold(meetings[0])
    hold(meetings[1])
    assert stage(case) == "preparation"  # both sides prepared, but no session set yet
    later = timezone.localtime() + datetime.timedelta(days=3)
    page = client.post(f"/cases/{case.pk}/meetings/new/?kind=joint",
                       {"kind": "joint", "scheduled_for": later.strftime("%Y-%m-%dT%H:%M"), "duration_minutes": 120,
                        "location": "Library"}, follow=True).content.decode()  # fmt: skip
    assert stage(case) == "joint_session"
    assert "Moved to joint session because both sides are prepared and the session is set." in page


@pytest.mark.django_db
def test_a_session_held_with_agreement_moves_on_and_one_without_stays_for_the_decision(
    client, program, coordinator, mediator
):
    cases = []
    for outcome in ("agreement", "no_agreement"):
        case = case_in_preparation(program, coordinator, mediator)
        prepare_both_sides(case, mediator)

        joint = services.meeting_schedule(
            case=case, actor=mediator, kind="joint", scheduled_for=ago(1), location="Hall"
        )
        from cases.services import case_advance

        assert [m.name for m in case_advance(case=case, actor=mediator)] == ["begin_session"]
        client.force_login(mediator)
        page = client.post(f"/cases/{case.pk}/meetings/{joint.pk}/hold/",
                           {"version": joint.version, "outcome": outcome}, follow=True).content.decode()  # fmt: skip
        cases.append((case, page))
    (agreed, agreed_page), (not_agreed, not_agreed_page) = cases
    assert stage(agreed) == "agreement"
    assert "Moved to agreement because the mediation reached an agreement." in agreed_page
    assert stage(not_agreed) == "joint_session" and "Moved to" not in not_agreed_page
    assert "Close: no agreement" in not_agreed_page


@pytest.mark.django_db
def test_a_following_move_is_taken_once_and_nothing_more_follows_by_itself(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    for party in case.parties.all():
        screen(party, mediator)
    assert [m.name for m in case_advance(case=case, actor=mediator)] == ["begin_preparation"]
    assert case_advance(case=case, actor=mediator) == []  # nothing more follows by itself
    assert stage(case) == "preparation"
