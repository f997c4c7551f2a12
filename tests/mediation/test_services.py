"""The stage machine from referral to agreement: every guard, allowed and refused."""

import datetime

import pytest

from cases.models import Assignment, Case
from cases.services import case_close, case_move, case_reopen
from mediation import services
from mediation.models import Meeting, Screening, ShuttleRound
from tests.factories import MembershipFactory, UserFactory
from tests.mediation.helpers import (
    TODAY,
    ago,
    assign,
    case_in_preparation,
    case_in_session,
    new_case,
    prepare_both_sides,
    screen,
    screen_everyone,
)
from vom.core.errors import DomainError, StaleObjectError

S = Case.Stage


# --- Assignment --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_assigning_a_lead_mediator_starts_screening(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    assert case.stage == S.SCREENING
    assert case.lead_mediator == mediator
    assert case.timeline.filter(to_stage=S.SCREENING).exists()


@pytest.mark.django_db
def test_assignment_refuses_non_mediators_and_a_duplicate_co_mediator(
    program, coordinator, mediator, other_coordinator
):
    case = new_case(program, coordinator)
    with pytest.raises(DomainError) as error:
        assign(case, coordinator, other_coordinator)
    assert f"{other_coordinator} is not an active mediator of {program}." in error.value.problems
    with pytest.raises(DomainError) as error:
        assign(case, coordinator, mediator, co=mediator)
    assert "The co-mediator must be someone other than the lead mediator." in error.value.problems
    assert Case.objects.get(pk=case.pk).stage == S.REFERRED


@pytest.mark.django_db
def test_reassignment_keeps_the_history(program, coordinator, mediator, unassigned_mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    case = assign(case, coordinator, unassigned_mediator, co=mediator)
    assert case.stage == S.SCREENING
    rows = list(
        Assignment.objects.filter(case=case)
        .order_by("started_at", "pk")
        .values_list("mediator__username", "role", "ended_at")
    )
    assert [(u, r) for u, r, _ in rows] == [("med", "lead"), ("med2", "lead"), ("med", "co")]
    assert rows[0][2] is not None and rows[1][2] is None


@pytest.mark.django_db
def test_a_stale_assignment_changes_nothing(program, coordinator, mediator, unassigned_mediator):
    case = new_case(program, coordinator)
    seen = case.version
    assign(case, coordinator, mediator)
    with pytest.raises(StaleObjectError):
        services_case = Case.objects.get(pk=case.pk)
        from cases.services import case_assign

        case_assign(case=services_case, expected_version=seen, actor=coordinator, lead=unassigned_mediator)
    assert Case.objects.get(pk=case.pk).lead_mediator == mediator


# --- Screening ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_preparation_is_refused_until_every_required_party_is_screened_suitable(program, coordinator, mediator):
    case = assign(new_case(program, coordinator, juvenile=True), coordinator, mediator)
    with pytest.raises(DomainError) as error:
        services.case_begin_preparation(case=case, expected_version=case.version, actor=mediator)
    assert error.value.problems == [
        "Offender Kai Lopez not yet screened suitable.",
        "Parent / guardian Rita Lopez not yet screened suitable.",
        "Victim Ana Price not yet screened suitable.",
    ]
    screen(case.parties.get(role="offender"), mediator)
    screen(case.parties.get(role="victim"), mediator)
    with pytest.raises(DomainError) as error:
        services.case_begin_preparation(case=case, expected_version=case.version, actor=mediator)
    assert error.value.problems == ["Parent / guardian Rita Lopez not yet screened suitable."]
    screen(case.parties.get(role="guardian"), mediator)
    case = services.case_begin_preparation(case=case, expected_version=case.version, actor=mediator)
    assert case.stage == S.PREPARATION


@pytest.mark.django_db
def test_screening_refuses_an_offender_without_acknowledgement(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    offender = case.parties.get(role="offender")
    with pytest.raises(DomainError) as error:
        screen(offender, mediator, acknowledges_responsibility=False)
    assert "The offender must acknowledge responsibility (or at least not deny it)." in error.value.problems
    assert not Screening.objects.exists()


@pytest.mark.django_db
def test_screening_suitable_needs_voluntariness_and_a_consent_date(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    with pytest.raises(DomainError) as error:
        screen(case.parties.get(role="victim"), mediator, understands_voluntary=False, consent_given_on=None)
    assert "The party must understand that taking part is voluntary." in error.value.problems
    assert "Record the date consent was given." in error.value.problems


@pytest.mark.django_db
def test_a_victim_unwilling_to_meet_is_pointed_to_indirect_mediation(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    victim = case.parties.get(role="victim")
    with pytest.raises(DomainError, match="switch the case to indirect mediation first"):
        screen(victim, mediator, willing_to_meet=False, willing_indirect=True)
    case = services.case_set_mode(
        case=case, expected_version=case.version, actor=mediator, mode="indirect", reason="No face to face"
    )
    assert screen(victim, mediator, willing_to_meet=False, willing_indirect=True).outcome == "suitable"


@pytest.mark.django_db
def test_safety_concerns_need_a_plan(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    with pytest.raises(DomainError, match="say how they will be managed"):
        screen(case.parties.get(role="victim"), mediator, safety_concerns="Lives on the same street")


@pytest.mark.parametrize(
    ("screened_on", "message"),
    [
        (TODAY + datetime.timedelta(days=1), "A screening cannot be dated in the future."),
        (TODAY - datetime.timedelta(days=200), "A screening cannot be before the referral date"),
    ],
)
@pytest.mark.django_db
def test_screening_refuses_impossible_dates(program, coordinator, mediator, screened_on, message):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    with pytest.raises(DomainError) as error:
        services.screening_record(
            party=case.parties.get(role="offender"),
            actor=mediator,
            screened_on=screened_on,
            outcome="declined",
            reason="x",
        )
    assert any(p.startswith(message) for p in error.value.problems)


@pytest.mark.django_db
def test_a_declined_screening_needs_a_reason_and_can_close_the_case(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    victim = case.parties.get(role="victim")
    with pytest.raises(DomainError, match="Give the reason"):
        screen(victim, mediator, outcome="declined")
    with pytest.raises(DomainError):
        services.case_close_after_screening(case=case, expected_version=case.version, actor=mediator)
    screen(victim, mediator, outcome="declined", reason="Wants to move on")
    case = services.case_close_after_screening(case=case, expected_version=case.version, actor=mediator)
    assert (case.stage, case.outcome) == (S.CLOSED, Case.Outcome.DECLINED)
    assert case.outcome_reason == "Victim Ana Price: Wants to move on"


@pytest.mark.django_db
def test_screening_is_refused_for_parties_that_need_none(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    from cases.services import PartyInput, party_add_supporter

    support = party_add_supporter(
        case=case, actor=coordinator, supporter=PartyInput(role="support", last_name="Friend"),
        for_party=case.parties.get(role="victim"),
    )  # fmt: skip
    with pytest.raises(DomainError, match="does not need a readiness screening"):
        screen(support, mediator)


# --- Preparation and the joint session -----------------------------------------------------------


@pytest.mark.django_db
def test_joint_session_stage_needs_both_preps_and_a_scheduled_session(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    with pytest.raises(DomainError) as error:
        services.case_begin_session(case=case, expected_version=case.version, actor=mediator)
    assert error.value.problems == [
        "Preparation meeting with the offender side not yet held or waived.",
        "Preparation meeting with the victim side not yet held or waived.",
        "Joint session not yet scheduled.",
    ]
    prepare_both_sides(case, mediator)
    services.meeting_schedule(case=case, actor=mediator, kind="joint", scheduled_for=ago(1), location="Library")
    case = services.case_begin_session(case=case, expected_version=case.version, actor=mediator)
    assert case.stage == S.JOINT_SESSION


@pytest.mark.django_db
def test_a_prep_meeting_may_be_waived_with_a_reason(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    with pytest.raises(DomainError, match="Give the reason"):
        services.prep_waive(case=case, actor=mediator, side="victim", reason=" ")
    services.prep_waive(case=case, actor=mediator, side="victim", reason="Prepared at length during screening")
    services.prep_waive(case=case, actor=mediator, side="offender", reason="Prepared with guardian at screening")
    from cases.selectors import case_facts
    from mediation.guards import guard_begin_session

    assert guard_begin_session(case_facts(case)) == ["Joint session not yet scheduled."]


@pytest.mark.django_db
def test_prep_meetings_keep_the_sides_apart_and_the_parties_in_the_case(program, coordinator, mediator, case):
    prep_case = case_in_preparation(program, coordinator, mediator)
    victim = prep_case.parties.get(role="victim")
    with pytest.raises(DomainError) as error:
        services.meeting_schedule(
            case=prep_case,
            actor=mediator,
            kind="prep_offender",
            scheduled_for=ago(),
            location="Office",
            attendees=[victim],
        )
    assert "no victim-side party at the offender's meeting" in str(error.value)
    foreign = case.parties.get(role="offender")
    with pytest.raises(DomainError, match="An attendee does not belong to this case."):
        services.meeting_schedule(
            case=prep_case,
            actor=mediator,
            kind="prep_offender",
            scheduled_for=ago(),
            location="Office",
            attendees=[foreign],
        )
    with pytest.raises(DomainError, match="Give a place or a video link."):
        services.meeting_schedule(case=prep_case, actor=mediator, kind="prep_offender", scheduled_for=ago())
    assert not Meeting.objects.exists()


@pytest.mark.django_db
def test_a_session_before_the_referral_is_refused(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    with pytest.raises(DomainError, match="A meeting cannot be before the referral date"):
        services.meeting_schedule(
            case=case, actor=mediator, kind="joint", scheduled_for=ago(24 * 60), location="Library"
        )


@pytest.mark.django_db
def test_a_meeting_cannot_be_held_before_it_starts(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    future = services.meeting_schedule(
        case=case, actor=mediator, kind="prep_offender", scheduled_for=ago(-48), location="Office"
    )
    with pytest.raises(DomainError, match="before its start time"):
        services.meeting_hold(meeting=future, expected_version=future.version, actor=mediator)


@pytest.mark.django_db
def test_the_joint_session_with_agreement_moves_the_case_to_agreement(program, coordinator, mediator):
    case, joint = case_in_session(program, coordinator, mediator)
    with pytest.raises(DomainError, match="Joint session not yet held with an agreement."):
        services.case_record_agreement(case=case, expected_version=case.version, actor=mediator)
    with pytest.raises(DomainError, match="Choose the outcome"):
        services.meeting_hold(meeting=joint, expected_version=joint.version, actor=mediator)
    services.meeting_hold(meeting=joint, expected_version=joint.version, actor=mediator, outcome="agreement")
    case = services.case_record_agreement(case=case, expected_version=case.version, actor=mediator)
    assert case.stage == S.AGREEMENT


@pytest.mark.django_db
def test_a_continued_session_schedules_the_next_one(program, coordinator, mediator):
    case, joint = case_in_session(program, coordinator, mediator)
    later = ago(-72)
    services.meeting_hold(
        meeting=joint, expected_version=joint.version, actor=mediator, outcome="continued", continue_on=later
    )
    follow_on = Meeting.objects.get(case=case, kind="joint", status="scheduled")
    assert follow_on.scheduled_for == later
    from cases.selectors import case_facts
    from mediation.guards import guard_record_agreement

    assert guard_record_agreement(case_facts(case)) == ["Joint session not yet held with an agreement."]


@pytest.mark.django_db
def test_a_session_cancelled_for_good_closes_the_case_as_cancelled(program, coordinator, mediator):
    case, joint = case_in_session(program, coordinator, mediator)
    services.meeting_cancel(
        meeting=joint, expected_version=joint.version, actor=mediator, reason="Victim withdrew", for_good=True
    )
    case = services.case_close_without_agreement(case=case, expected_version=case.version, actor=mediator)
    assert (case.stage, case.outcome) == (S.CLOSED, Case.Outcome.CANCELLED)


@pytest.mark.django_db
def test_no_agreement_closes_the_case(program, coordinator, mediator):
    case, joint = case_in_session(program, coordinator, mediator)
    services.meeting_hold(meeting=joint, expected_version=joint.version, actor=mediator, outcome="no_agreement")
    with pytest.raises(DomainError):
        services.case_record_agreement(case=case, expected_version=case.version, actor=mediator)
    case = services.case_close_without_agreement(case=case, expected_version=case.version, actor=mediator)
    assert case.outcome == Case.Outcome.NO_AGREEMENT


@pytest.mark.django_db
def test_a_stale_meeting_update_is_refused(program, coordinator, mediator):
    _case, joint = case_in_session(program, coordinator, mediator)
    seen = joint.version
    services.meeting_reschedule(meeting=joint, expected_version=seen, actor=mediator, scheduled_for=ago(3))
    with pytest.raises(StaleObjectError):
        services.meeting_hold(meeting=joint, expected_version=seen, actor=mediator, outcome="agreement")
    assert Meeting.objects.get(pk=joint.pk).status == "scheduled"


# --- Indirect mediation ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_indirect_mediation_can_reach_an_agreement_without_a_joint_meeting(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    case = services.case_set_mode(
        case=case, expected_version=case.version, actor=mediator, mode="indirect", reason="Victim prefers letters"
    )
    screen(case.parties.get(role="offender"), mediator)
    screen(case.parties.get(role="victim"), mediator, willing_to_meet=False, willing_indirect=True)
    case = services.case_begin_preparation(case=case, expected_version=case.version, actor=mediator)
    with pytest.raises(DomainError, match="indirect mediation"):
        services.meeting_schedule(case=case, actor=mediator, kind="joint", scheduled_for=ago(), location="x")
    prepare_both_sides(case, mediator)
    case = services.case_begin_session(case=case, expected_version=case.version, actor=mediator)
    services.shuttle_record(case=case, actor=mediator, held_on=TODAY, direction="v2o", form="impact", summary="Letter")
    with pytest.raises(DomainError, match="Indirect mediation has not concluded with an agreement."):
        services.case_record_agreement(case=case, expected_version=case.version, actor=mediator)
    services.shuttle_record(
        case=case,
        actor=mediator,
        held_on=TODAY,
        direction="o2v",
        form="offer",
        summary="Offer accepted",
        concludes="agreement",
    )
    with pytest.raises(DomainError, match="already concluded"):
        services.shuttle_record(case=case, actor=mediator, held_on=TODAY, direction="v2o", form="message", summary="x")
    case = services.case_record_agreement(case=case, expected_version=case.version, actor=mediator)
    assert case.stage == S.AGREEMENT
    assert ShuttleRound.objects.filter(case=case).count() == 2


@pytest.mark.django_db
def test_mode_changes_are_guarded(program, coordinator, mediator):
    case, _joint = case_in_session(program, coordinator, mediator)
    with pytest.raises(DomainError, match="cancel it before switching"):
        services.case_set_mode(case=case, expected_version=case.version, actor=mediator, mode="indirect", reason="x")
    with pytest.raises(DomainError, match="Give the reason"):
        services.case_set_mode(case=case, expected_version=case.version, actor=mediator, mode="indirect", reason="")


# --- Coordinator moves and the graph -----------------------------------------------------------


@pytest.mark.django_db
def test_the_graph_refuses_a_jump(program, coordinator):
    case = new_case(program, coordinator)
    with pytest.raises(DomainError, match="A case in Referred cannot move to Agreement."):
        case_move(case=case, to_stage=S.AGREEMENT, expected_version=case.version, actor=coordinator, summary="x")
    assert Case.objects.get(pk=case.pk).stage == S.REFERRED


@pytest.mark.django_db
def test_a_stale_move_is_refused(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    seen = case.version
    case_close(case=case, expected_version=seen, actor=coordinator, outcome="withdrawn", reason="Court withdrew")
    stale = Case.objects.get(pk=case.pk)
    stale.stage = S.PREPARATION  # a page read before the close
    with pytest.raises(StaleObjectError):
        case_move(case=stale, to_stage=S.JOINT_SESSION, expected_version=seen, actor=mediator, summary="x")


@pytest.mark.django_db
def test_close_and_reopen(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    with pytest.raises(DomainError, match="Give the reason"):
        case_close(case=case, expected_version=case.version, actor=coordinator, outcome="withdrawn", reason="")
    with pytest.raises(DomainError, match="Choose how the case ended"):
        case_close(case=case, expected_version=case.version, actor=coordinator, outcome="completed", reason="x")
    case = case_close(
        case=case, expected_version=case.version, actor=coordinator, outcome="withdrawn", reason="Moved away"
    )
    assert (case.stage, case.outcome, case.closed_from_stage) == (S.CLOSED, "withdrawn", S.PREPARATION)
    with pytest.raises(DomainError):
        services.case_begin_session(case=case, expected_version=case.version, actor=mediator)
    case = case_reopen(case=case, expected_version=case.version, actor=coordinator, reason="Back in town")
    assert (case.stage, case.outcome, case.closed_at) == (S.PREPARATION, "", None)


@pytest.mark.django_db
def test_whole_path_leaves_an_append_only_timeline(program, coordinator, mediator):
    case, joint = case_in_session(program, coordinator, mediator)
    services.meeting_hold(meeting=joint, expected_version=joint.version, actor=mediator, outcome="agreement")
    case = services.case_record_agreement(case=case, expected_version=case.version, actor=mediator)
    stages = list(case.timeline.exclude(to_stage="").order_by("at", "pk").values_list("to_stage", flat=True))
    assert stages == [S.SCREENING, S.PREPARATION, S.JOINT_SESSION, S.AGREEMENT]


# --- Time -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_time_logs_refuse_more_than_a_day(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    services.timelog_add(case=case, mediator=mediator, on=TODAY, minutes=600, activity="screening")
    with pytest.raises(DomainError, match="more than 24 hours"):
        services.timelog_add(case=case, mediator=mediator, on=TODAY, minutes=900, activity="travel")
    with pytest.raises(DomainError, match="future date"):
        services.timelog_add(
            case=case, mediator=mediator, on=TODAY + datetime.timedelta(days=1), minutes=30, activity="travel"
        )


@pytest.mark.django_db
def test_inactive_mediators_cannot_be_assigned(program, coordinator):
    gone = UserFactory(username="gone", is_active=False)
    MembershipFactory(user=gone, program=program, role="mediator")
    with pytest.raises(DomainError, match="not an active mediator"):
        assign(new_case(program, coordinator), coordinator, gone)


@pytest.mark.django_db
def test_screen_everyone_helper_covers_required_parties(program, coordinator, mediator):
    case = assign(new_case(program, coordinator, juvenile=True), coordinator, mediator)
    screen_everyone(case, mediator)
    assert Screening.objects.filter(party__case=case, outcome="suitable").count() == 3


@pytest.mark.django_db
def test_closing_outcomes_must_fit_the_stage(program, coordinator):
    case = new_case(program, coordinator)
    with pytest.raises(DomainError, match="is not possible in referred"):
        case_close(case=case, expected_version=case.version, actor=coordinator, outcome="no_agreement", reason="x")
    with pytest.raises(DomainError, match="Choose how the case ended."):
        case_close(case=case, expected_version=case.version, actor=coordinator, outcome="", reason="x")
    case = case_close(
        case=case, expected_version=case.version, actor=coordinator, outcome="declined", reason="Victim said no"
    )
    assert case.outcome == "declined"
