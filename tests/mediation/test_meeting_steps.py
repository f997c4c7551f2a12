"""Scheduling with the program's defaults, recording with the invited ticked, and the next step offered."""

import datetime

import pytest
from django.utils import timezone

from cases.models import Program
from mediation import services
from mediation.models import Meeting
from mediation.selectors import meeting_parties
from tests.factories import PartyFactory
from tests.mediation.helpers import ago, case_in_preparation


def when(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def plan_post(case, **dates):
    """The plan form as the browser sends it: the defaults shown, the dates typed."""
    data = {}
    for kind in ("prep_offender", "prep_victim", "joint"):
        parties = meeting_parties(case.pk, kind)
        data |= {f"{kind}-duration_minutes": 120 if kind == "joint" else 60, f"{kind}-location": "Office",
                 f"{kind}-attendees": [p.pk for p in parties], f"{kind}-mediators": [case.lead_mediator_id],
                 f"{kind}-scheduled_for": when(dates[kind]) if kind in dates else ""}  # fmt: skip
    return data


@pytest.fixture
def preparing(program, coordinator, mediator):
    Program.objects.filter(pk=program.pk).update(usual_meeting_place="Riverbend office", joint_session_minutes=150)
    return case_in_preparation(program, coordinator, mediator)


@pytest.mark.django_db
def test_the_plan_page_fills_in_the_invited_side_the_usual_place_and_the_sessions_length(client, preparing, mediator):
    client.force_login(mediator)
    page = client.get(f"/cases/{preparing.pk}/meetings/plan/")
    forms = dict(page.context["forms"])
    offender_prep = forms["Preparation meeting, offender side"]
    victim = preparing.parties.get(role="victim")
    assert victim.pk not in [p.pk for p in offender_prep.fields["attendees"].queryset]
    assert offender_prep["attendees"].initial == [preparing.parties.get(role="offender").pk]
    assert offender_prep["location"].initial == "Riverbend office"
    assert offender_prep["duration_minutes"].value() == 60
    assert forms["Joint session"]["duration_minutes"].value() == 150
    assert forms["Joint session"]["mediators"].initial == [mediator.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("supporters", [0, 6])
def test_the_plan_page_reads_a_fixed_number_of_queries(
    client, preparing, mediator, supporters, django_assert_num_queries
):
    for _ in range(supporters):
        PartyFactory(case=preparing, role="support")
    client.force_login(mediator)
    client.get("/my/")  # the first request after sign-in stamps the session (idle timeout)
    # 1 session, 2 user, 3 authenticator, 4 memberships, 5 case, 6 meetings (what is left to schedule);
    # 7-9 the parties each of the three meetings invites (ticked when the form is built); 10-15 each form's
    # choices as shown: the parties it may list and the team; 16 the audit row of this view.
    with django_assert_num_queries(16):
        assert client.get(f"/cases/{preparing.pk}/meetings/plan/").status_code == 200


@pytest.mark.django_db
def test_a_plan_is_scheduled_all_or_none(client, preparing, mediator):
    client.force_login(mediator)
    data = plan_post(preparing, prep_offender=ago(24), prep_victim=ago(22), joint=ago(3))
    data["joint-location"] = ""
    page = client.post(f"/cases/{preparing.pk}/meetings/plan/", data).content.decode()
    assert "Joint session: The meeting was not scheduled." in page and "Give a place or a video link." in page
    assert not Meeting.objects.filter(case=preparing).exists()
    empty = client.post(f"/cases/{preparing.pk}/meetings/plan/", plan_post(preparing)).content.decode()
    assert "Give the date and time of at least one meeting." in empty


@pytest.mark.django_db
def test_after_recording_a_meeting_the_next_one_follows(client, preparing, mediator):
    client.force_login(mediator)
    response = client.post(f"/cases/{preparing.pk}/meetings/plan/",
                           plan_post(preparing, prep_offender=ago(24), prep_victim=ago(22)))  # fmt: skip
    offender_prep, victim_prep = Meeting.objects.filter(case=preparing).order_by("scheduled_for")
    assert response["Location"] == f"/cases/{preparing.pk}/meetings/{offender_prep.pk}/"  # begun: record it
    page = client.get(response["Location"]).content.decode()
    assert "Ana Price" not in page  # the offender's meeting never lists the victim
    hold = page.index('id="h-hold"')
    assert page.count("checked", hold) == 1  # the invited offender, ticked
    response = client.post(f"/cases/{preparing.pk}/meetings/{offender_prep.pk}/hold/", {"version": 1})
    assert response["Location"] == f"/cases/{preparing.pk}/meetings/{victim_prep.pk}/"
    response = client.post(f"/cases/{preparing.pk}/meetings/{victim_prep.pk}/hold/", {"version": 1})
    # Nothing left to record: the joint session is offered for scheduling.
    assert response["Location"] == f"/cases/{preparing.pk}/meetings/plan/"
    later = timezone.now() + datetime.timedelta(days=2)
    response = client.post(f"/cases/{preparing.pk}/meetings/plan/", plan_post(preparing, joint=later), follow=True)
    assert response.redirect_chain[-1][0] == f"/cases/{preparing.pk}/"
    assert "Moved to joint session because both sides are prepared" in response.content.decode()


@pytest.mark.django_db
def test_the_plan_page_says_when_nothing_is_left_to_schedule(client, preparing, mediator):
    for kind in ("prep_offender", "prep_victim", "joint"):
        services.meeting_schedule(case=preparing, actor=mediator, kind=kind, scheduled_for=ago(-48), location="Hall")
    client.force_login(mediator)
    page = client.get(f"/cases/{preparing.pk}/meetings/plan/").content.decode()
    assert "Every meeting the case needs is scheduled, held or waived." in page
