"""Drive a case through the pipeline with the real services."""

import datetime

from django.utils import timezone

from cases.models import Party
from cases.services import PartyInput, case_assign, case_intake
from mediation import services
from mediation.models import Meeting
from tests.factories import ReferralSourceFactory

TODAY = datetime.date.today()

CHECKLIST = {
    "offender": {"acknowledges_responsibility": True, "willing_to_make_amends": True},
    "guardian": {"guardian_consents": True},
    "victim": {"willing_to_meet": True},
    "victim_rep": {"willing_to_meet": True},
}


def new_case(program, coordinator, *, juvenile=False, second_offender=False):
    dob = TODAY - datetime.timedelta(days=(15 if juvenile else 30) * 365)
    parties = [PartyInput(role="offender", first_name="Kai", last_name="Lopez", date_of_birth=dob)]
    if juvenile:
        parties.append(PartyInput(role="guardian", first_name="Rita", last_name="Lopez", related_index=0))
    if second_offender:
        parties.append(PartyInput(role="offender", first_name="Sam", last_name="Reyes",
                                  date_of_birth=TODAY - datetime.timedelta(days=25 * 365)))  # fmt: skip
    parties.append(PartyInput(role="victim", first_name="Ana", last_name="Price", email="ana@example.org"))
    return case_intake(
        program=program,
        actor=coordinator,
        referral={
            "referral_source": ReferralSourceFactory(program=program),
            "referral_date": TODAY - datetime.timedelta(days=10),
            "referral_type": "diversion",
            "court_ordered": False,
            "court_return_date": None,
            "offense_category": "property",
            "incident_date": TODAY - datetime.timedelta(days=30),
            "offense_description": "Broke a window.",
        },
        parties=parties,
    )


def assign(case, coordinator, mediator, co=None):
    return case_assign(case=case, expected_version=case.version, actor=coordinator, lead=mediator, co=co)


def screen(party: Party, actor, outcome="suitable", reason="", **overrides):
    answers = {"emotionally_ready": True, "understands_voluntary": True, "consent_given_on": TODAY}
    answers |= CHECKLIST.get(party.role, {}) if outcome == "suitable" else {}
    answers |= overrides
    return services.screening_record(
        party=party, actor=actor, screened_on=TODAY, outcome=outcome, reason=reason, **answers
    )


def screen_everyone(case, actor):
    for party in case.parties.exclude(role="support"):
        screen(party, actor)


def ago(hours=2):
    return timezone.now() - datetime.timedelta(hours=hours)


def prepare_both_sides(case, actor):
    for kind in (Meeting.Kind.PREP_OFFENDER, Meeting.Kind.PREP_VICTIM):
        meeting = services.meeting_schedule(case=case, actor=actor, kind=kind, scheduled_for=ago(), location="Office")
        services.meeting_hold(meeting=meeting, expected_version=meeting.version, actor=actor, hopes="To be heard")


def case_in_preparation(program, coordinator, mediator, **kw):
    case = assign(new_case(program, coordinator, **kw), coordinator, mediator)
    screen_everyone(case, mediator)
    return services.case_begin_preparation(case=case, expected_version=case.version, actor=mediator)


def case_in_session(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    prepare_both_sides(case, mediator)
    joint = services.meeting_schedule(
        case=case, actor=mediator, kind=Meeting.Kind.JOINT, scheduled_for=ago(1), location="Library"
    )
    case = services.case_begin_session(case=case, expected_version=case.version, actor=mediator)
    return case, joint
