"""The next action on each case, in VOM order, for many cases in a fixed number of queries."""

import pytest
from django.utils import timezone

from cases.selectors import next_actions_for
from mediation import services
from mediation.models import ContactAttempt
from tests.mediation.helpers import ago, assign, case_in_preparation, case_in_session, new_case, screen


@pytest.mark.django_db
def test_screening_goes_offender_side_first(program, coordinator, mediator):
    case = assign(new_case(program, coordinator, juvenile=True), coordinator, mediator)
    assert next_actions_for([case])[case.pk].label == "Contact the offender Kai Lopez"
    offender = case.parties.get(role="offender")
    services.contact_attempt_record(party=offender, actor=mediator, at=ago(), method="phone", result="reached")
    assert next_actions_for([case])[case.pk].label == "Screen the offender Kai Lopez"
    screen(offender, mediator)
    assert next_actions_for([case])[case.pk].label == "Contact the parent / guardian Rita Lopez"
    screen(case.parties.get(role="guardian"), mediator)
    assert next_actions_for([case])[case.pk].label == "Contact the victim Ana Price"
    screen(case.parties.get(role="victim"), mediator)
    assert next_actions_for([case])[case.pk].label == "Move the case to preparation"


@pytest.mark.django_db
def test_a_refusal_is_surfaced(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    screen(case.parties.get(role="offender"), mediator, outcome="declined", reason="Denies it")
    assert next_actions_for([case])[case.pk].label == "Offender Kai Lopez declined: re-screen or close the case"


@pytest.mark.django_db
def test_preparation_and_session_actions(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    assert next_actions_for([case])[case.pk].label == "Schedule the prep meeting with the offender side"
    when = timezone.now() + timezone.timedelta(days=2)
    meeting = services.meeting_schedule(
        case=case, actor=mediator, kind="prep_offender", scheduled_for=when, location="Office"
    )
    action = next_actions_for([case])[case.pk]
    assert action.label == f"Hold prep meeting with the offender side {timezone.localtime(when):%a %-d %b %H:%M}"
    assert action.url == f"/cases/{case.pk}/meetings/{meeting.pk}/"
    session_case, _joint = case_in_session(program, coordinator, mediator)
    assert next_actions_for([session_case])[session_case.pk].label.startswith("Hold the joint session")


@pytest.mark.django_db
def test_many_cases_take_a_fixed_number_of_queries(program, coordinator, mediator, django_assert_max_num_queries):
    cases = [assign(new_case(program, coordinator), coordinator, mediator) for _ in range(5)]
    ContactAttempt.objects.all().delete()
    # parties, screenings, contact attempts, meetings, exchanges
    with django_assert_max_num_queries(5):
        actions = next_actions_for(cases)
    assert len(actions) == 5
