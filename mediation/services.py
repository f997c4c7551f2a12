"""Writes for screening, meetings, indirect mediation, time logs and the stage moves mediation owns."""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases.extensions import CaseFacts
from cases.models import VICTIM_SIDE, Case, Party, TimelineEvent
from cases.selectors import case_facts
from cases.services import case_move, party_update_contact, timeline_add
from cases.stages import WORKING_STAGES
from vom.core.claims import claim
from vom.core.dates import date_problem
from vom.core.errors import DomainError, FieldProblem
from vom.core.i18n import LANGUAGE_NAMES

from .guards import (
    FAILED_SCREENING_OUTCOMES,
    failed_screening,
    guard_begin_session,
    guard_close_after_screening,
    guard_close_without_agreement,
    guard_record_agreement,
    screening_gaps,
    session_result,
)
from .models import ContactAttempt, Meeting, Screening, ShuttleRound, TimeLog
from .reminders import (
    cancel_meeting_reminders,
    plan_meeting_reminders,
    queue_calendar_change,
    refresh_interpreter_in_reminders,
)
from .selectors import OFFENDER_SIDE, case_parties, required_screening_parties, role_name

S = Case.Stage


def _require_stage(case: Case, stages: set[str], doing: str) -> None:
    if case.stage not in stages:
        allowed = ", ".join(Case.Stage(s).label.lower() for s in Case.Stage.values if s in stages)
        raise DomainError(f"You can {doing} only while the case is in {allowed}; it is {case.get_stage_display()}.")


def _check_day(case: Case, day: date, what: str) -> list[str]:
    """A typed day must fall in the range every form allows, and not before the case was referred."""
    if problem := date_problem(day):
        return [f"{what}: {problem}"]
    if day < case.referral_date:
        return [f"{what} cannot be before the referral date ({case.referral_date:%b %-d, %Y})."]
    return []


# --- Contact and screening ----------------------------------------------------------------------


@transaction.atomic
def contact_attempt_record(
    *, party: Party, actor, at: datetime, method: str, result: str, note: str = "", regarding: str = ""
) -> ContactAttempt:
    """A try to reach a party: while screening and preparing anyone, during follow-up the offender side
    about a missed item (``regarding`` says which)."""
    case = party.case
    if case.stage == S.FOLLOW_UP:
        if party.role not in OFFENDER_SIDE:
            raise DomainError("During follow-up, contact attempts are recorded with the offender or their guardian.")
    else:
        _require_stage(case, WORKING_STAGES, "record contact attempts")
    problems = _check_day(case, timezone.localtime(at).date(), "A contact attempt")
    if at > timezone.now() + timedelta(minutes=5):
        problems.append("A contact attempt cannot be in the future.")
    if problems:
        raise DomainError("The contact attempt was not saved.", problems)
    attempt = ContactAttempt.objects.create(
        party=party, at=at, method=method, result=result, note=note, regarding=regarding.strip()[:300],
        recorded_by=actor,
    )  # fmt: skip
    about = f" about {attempt.regarding}" if attempt.regarding else ""
    timeline_add(
        case=case,
        kind=TimelineEvent.Kind.CONTACT,
        summary=(
            f"{attempt.get_method_display()} to the {party.get_role_display().lower()} {party.person}{about}: "
            f"{attempt.get_result_display().lower()}"
        ),
        actor=actor,
    )
    return attempt


SCREENING_FIELDS = [
    "willing_to_meet",
    "willing_indirect",
    "safety_concerns",
    "safety_plan",
    "acknowledges_responsibility",
    "willing_to_make_amends",
    "guardian_consents",
    "emotionally_ready",
    "understands_voluntary",
    "consent_given_on",
]


def _suitability_gaps(party: Party, case: Case, answers: dict) -> list[str]:
    """What a 'suitable' screening must have, by the party's role and the case's mode."""
    gaps = []
    if party.role in VICTIM_SIDE:
        if case.mode == Case.Mode.DIRECT and not answers.get("willing_to_meet"):
            gaps.append(FieldProblem("willing_to_meet",
                "The victim is not willing to meet face to face. If they agree to an indirect exchange, "
                "switch the case to indirect mediation first."
            ))  # fmt: skip
        if case.mode == Case.Mode.INDIRECT and not (answers.get("willing_indirect") or answers.get("willing_to_meet")):
            gaps.append(
                FieldProblem("willing_indirect", "The victim has agreed neither to meet nor to an indirect exchange.")
            )
        if answers.get("safety_concerns", "").strip() and not answers.get("safety_plan", "").strip():
            gaps.append(FieldProblem("safety_plan", "Safety concerns were recorded: say how they will be managed."))
    elif party.role == Party.Role.OFFENDER:
        if not answers.get("acknowledges_responsibility"):
            gaps.append(
                FieldProblem(
                    "acknowledges_responsibility",
                    "The offender must acknowledge responsibility (or at least not deny it).",
                )
            )
        if not answers.get("willing_to_make_amends"):
            gaps.append(FieldProblem("willing_to_make_amends", "The offender must be willing to make amends."))
    elif party.role == Party.Role.GUARDIAN and not answers.get("guardian_consents"):
        gaps.append(
            FieldProblem("guardian_consents", "The parent or guardian must agree to the young person taking part.")
        )
    if not answers.get("emotionally_ready"):
        gaps.append(FieldProblem("emotionally_ready", "Emotional readiness is not confirmed."))
    if not answers.get("understands_voluntary"):
        gaps.append(FieldProblem("understands_voluntary", "The party must understand that taking part is voluntary."))
    if not answers.get("consent_given_on"):
        gaps.append(FieldProblem("consent_given_on", "Record the date consent was given."))
    return gaps


@transaction.atomic
def screening_record(
    *, party: Party, actor, screened_on: date, outcome: str, reason: str = "", victim_updates: bool | None = None,
    **answers,
) -> Screening:  # fmt: skip
    """Record a readiness screening; a 'suitable' outcome must meet the checklist for the party's role. A victim
    (or representative) may opt in to progress updates here (``victim_updates``), as at intake."""
    case = party.case
    _require_stage(case, WORKING_STAGES, "record screenings")
    unknown = set(answers) - set(SCREENING_FIELDS)
    if unknown:
        raise DomainError(f"Unknown screening answers: {', '.join(sorted(unknown))}.")
    parties = case_parties(case)
    if party.pk not in {p.pk for p in required_screening_parties(case, parties)}:
        raise DomainError(f"{role_name(party)} does not need a readiness screening.")
    today = timezone.localdate()
    problems = _check_day(case, screened_on, "A screening")
    if screened_on > today:
        problems.append(FieldProblem("screened_on", "A screening cannot be dated in the future."))
    consent_on = answers.get("consent_given_on")
    if consent_on and consent_on > today:
        problems.append(FieldProblem("consent_given_on", "Consent cannot be dated in the future."))
    if consent_on:
        problems += _check_day(case, consent_on, "Consent")
    if outcome not in Screening.Outcome.values:
        problems.append(FieldProblem("outcome", "Choose an outcome."))
    elif outcome == Screening.Outcome.SUITABLE:
        problems += _suitability_gaps(party, case, answers)
    elif not reason.strip():
        problems.append(FieldProblem("reason", "Give the reason for this outcome."))
    if problems:
        raise DomainError("The screening was not saved.", problems)
    if victim_updates is not None and victim_updates != party.victim_updates:
        party_update_contact(party=party, expected_version=party.version, actor=actor,
                             contact={"victim_updates": victim_updates})  # fmt: skip
    screening = Screening.objects.create(
        party=party, screened_by=actor, screened_on=screened_on, outcome=outcome, reason=reason.strip(), **answers
    )
    timeline_add(
        case=case,
        kind=TimelineEvent.Kind.SCREENING,
        summary=f"{role_name(party)} screened: {screening.get_outcome_display().lower()}",
        actor=actor,
    )
    return screening


# --- Meetings ---------------------------------------------------------------------------------------


def _check_meeting_people(case: Case, attendees, mediators) -> list[str]:
    problems = []
    if any(p.case_id != case.pk for p in attendees):
        problems.append("An attendee does not belong to this case.")
    team = {case.lead_mediator_id, case.co_mediator_id} - {None}
    if any(u.pk not in team for u in mediators):
        problems.append("Only the case's mediators can facilitate its meetings.")
    return problems


@transaction.atomic
def meeting_schedule(
    *,
    case: Case,
    actor,
    kind: str,
    scheduled_for: datetime,
    duration_minutes: int = 60,
    location: str = "",
    video_link: str = "",
    attendees=(),
    mediators=(),
    interpreter: str = "",
    interpreter_language: str = "",
) -> Meeting:
    """Schedule a meeting; for attendees who need an interpreter, the one booked (name or agency, language)
    may be given now or later (``meeting_book_interpreter``); until then the meeting warns of it."""
    if kind == Meeting.Kind.JOINT:
        _require_stage(case, {S.PREPARATION, S.JOINT_SESSION}, "schedule the joint session")
        if case.mode == Case.Mode.INDIRECT:
            raise DomainError("This case is in indirect mediation: record exchanges instead of a joint session.")
        if Meeting.objects.filter(case=case, kind=kind, status=Meeting.Status.SCHEDULED).exists():
            raise DomainError("A joint session is already scheduled: hold, cancel or reschedule it first.")
    else:
        _require_stage(case, {S.PREPARATION, S.JOINT_SESSION}, "schedule preparation meetings")
    problems = _check_day(case, timezone.localtime(scheduled_for).date(), "A meeting")
    if not location.strip() and not video_link.strip():
        problems.append(FieldProblem("location", "Give a place or a video link."))
    side = {Meeting.Kind.PREP_VICTIM: "victim", Meeting.Kind.PREP_OFFENDER: "offender"}.get(kind)
    if side == "offender" and any(p.role in VICTIM_SIDE for p in attendees):
        problems.append("Preparation meetings are held separately: no victim-side party at the offender's meeting.")
    if side == "victim" and any(p.role in {Party.Role.OFFENDER, Party.Role.GUARDIAN} for p in attendees):
        problems.append("Preparation meetings are held separately: no offender-side party at the victim's meeting.")
    problems += _check_meeting_people(case, attendees, mediators)
    problems += _check_interpreter(interpreter, interpreter_language)
    if problems:
        raise DomainError("The meeting was not scheduled.", problems)
    meeting = Meeting.objects.create(
        case=case,
        kind=kind,
        scheduled_for=scheduled_for,
        duration_minutes=duration_minutes,
        location=location.strip(),
        video_link=video_link.strip(),
        interpreter=" ".join(interpreter.split()),
        interpreter_language=interpreter_language if interpreter.strip() else "",
        created_by=actor,
    )
    meeting.attendees.set(attendees)
    meeting.mediators.set(mediators)
    plan_meeting_reminders(meeting_ids=[meeting.pk])
    when = timezone.localtime(scheduled_for)
    timeline_add(
        case=case,
        kind=TimelineEvent.Kind.MEETING,
        summary=f"{meeting.get_kind_display()} scheduled for {when:%a %b %-d, %Y %H:%M}",
        actor=actor,
    )
    return meeting


@transaction.atomic
def meetings_plan(*, case: Case, actor, meetings: list[dict]) -> list[Meeting]:
    """Schedule several of the case's meetings at once, each as ``meeting_schedule`` does: all or none."""
    if not meetings:
        raise DomainError("Nothing was scheduled.", [FieldProblem("scheduled_for", "Give the date and time of at "
                                                                  "least one meeting.")])  # fmt: skip
    scheduled = []
    for values in meetings:
        try:
            scheduled.append(meeting_schedule(case=case, actor=actor, **values))
        except DomainError as error:
            label = Meeting.Kind(values["kind"]).label
            raise DomainError(f"{label}: {error.message}", error.problems) from error
    return scheduled


def _check_interpreter(interpreter: str, language: str) -> list[str]:
    if language and not interpreter.strip():
        return [FieldProblem("interpreter", "Give the interpreter's name or agency, or leave the language empty.")]
    if language and language not in LANGUAGE_NAMES:
        return [FieldProblem("interpreter_language", "Choose the interpreter's language from the list.")]
    return []


@transaction.atomic
def meeting_book_interpreter(
    *, meeting: Meeting, expected_version: int, actor, interpreter: str, interpreter_language: str
) -> Meeting:
    """Record the interpreter booked for a scheduled meeting; the mediators' reminders say whom to expect."""
    problems = _check_interpreter(interpreter, interpreter_language)
    if not interpreter.strip():
        problems.append(FieldProblem("interpreter", "Give the interpreter's name or agency."))
    if problems:
        raise DomainError("The interpreter was not recorded.", problems)
    interpreter = " ".join(interpreter.split())
    claim(
        Meeting.objects.filter(pk=meeting.pk, version=expected_version, status=Meeting.Status.SCHEDULED),
        stale="This meeting was changed by someone else since you opened it. Nothing was saved.",
        interpreter=interpreter, interpreter_language=interpreter_language, version=F("version") + 1,
        updated_at=timezone.now(),
    )  # fmt: skip
    meeting.refresh_from_db()
    refresh_interpreter_in_reminders(meeting)
    language = LANGUAGE_NAMES.get(interpreter_language, "")
    timeline_add(
        case=meeting.case,
        kind=TimelineEvent.Kind.MEETING,
        summary=f"Interpreter booked for the {meeting.get_kind_display().lower()}: {interpreter}"
        + (f" ({language})" if language else ""),
        actor=actor,
    )
    return meeting


def _claim_meeting(meeting: Meeting, expected_version: int, **fields) -> None:
    claim(
        Meeting.objects.filter(pk=meeting.pk, version=expected_version, status=Meeting.Status.SCHEDULED),
        stale="This meeting was changed by someone else since you opened it. Nothing was saved.",
        **fields, version=F("version") + 1, updated_at=timezone.now(),
    )  # fmt: skip
    # Moved, held or called off: reminders planned for the old time must not go out.
    cancel_meeting_reminders(meeting)


@transaction.atomic
def meeting_reschedule(*, meeting: Meeting, expected_version: int, actor, scheduled_for: datetime) -> Meeting:
    case = meeting.case
    problems = _check_day(case, timezone.localtime(scheduled_for).date(), "A meeting")
    if problems:
        raise DomainError("The meeting was not moved.", problems)
    _claim_meeting(meeting, expected_version, scheduled_for=scheduled_for)
    plan_meeting_reminders(meeting_ids=[meeting.pk])
    timeline_add(
        case=case,
        kind=TimelineEvent.Kind.MEETING,
        summary=f"{meeting.get_kind_display()} moved to {timezone.localtime(scheduled_for):%a %b %-d, %Y %H:%M}",
        actor=actor,
    )
    meeting.refresh_from_db()
    queue_calendar_change(meeting)  # calendars that hold the old time get the new one now
    return meeting


@transaction.atomic
def meeting_hold(
    *,
    meeting: Meeting,
    expected_version: int,
    actor,
    summary: str = "",
    hopes: str = "",
    restitution_ideas: str = "",
    outcome: str = "",
    attendees=(),
    continue_on: datetime | None = None,
) -> Meeting:
    """Record that a meeting took place; a joint session records its outcome."""
    case = meeting.case
    problems = []
    if meeting.status != Meeting.Status.SCHEDULED:
        problems.append(f"This meeting is {meeting.get_status_display().lower()}, not scheduled.")
    elif meeting.scheduled_for > timezone.now():
        problems.append("A meeting cannot be recorded as held before its start time.")
    if meeting.kind == Meeting.Kind.JOINT:
        if case.stage != S.JOINT_SESSION:
            problems.append("Move the case to the joint session stage before recording the session.")
        if outcome not in Meeting.Outcome.values:
            problems.append("Choose the outcome of the joint session.")
        if outcome == Meeting.Outcome.CONTINUED:
            if continue_on is None:
                problems.append("Give the date and time the session continues.")
            elif continue_on <= meeting.scheduled_for:
                problems.append("The continued session must come after this one.")
            elif problem := date_problem(continue_on):
                problems.append(f"The continued session: {problem}")
    elif outcome:
        problems.append("Only a joint session has an outcome.")
    problems += _check_meeting_people(case, attendees, [])
    if problems:
        raise DomainError("The meeting was not recorded.", problems)
    _claim_meeting(
        meeting,
        expected_version,
        status=Meeting.Status.HELD,
        summary=summary.strip(),
        hopes=hopes.strip(),
        restitution_ideas=restitution_ideas.strip(),
        outcome=outcome,
    )
    if attendees:
        meeting.attendees.set(attendees)
    text = f"{meeting.get_kind_display()} held"
    if outcome:
        text += f": {Meeting.Outcome(outcome).label.lower()}"
    timeline_add(case=case, kind=TimelineEvent.Kind.MEETING, summary=text, actor=actor)
    if outcome == Meeting.Outcome.CONTINUED:
        meeting_schedule(
            case=case,
            actor=actor,
            kind=Meeting.Kind.JOINT,
            scheduled_for=continue_on,
            duration_minutes=meeting.duration_minutes,
            location=meeting.location,
            video_link=meeting.video_link,
            attendees=list(meeting.attendees.all()),
            mediators=list(meeting.mediators.all()),
        )
    meeting.refresh_from_db()
    return meeting


@transaction.atomic
def meeting_cancel(
    *, meeting: Meeting, expected_version: int, actor, reason: str, no_show: bool = False, for_good: bool = False
) -> Meeting:
    if not reason.strip():
        raise DomainError("Give the reason the meeting did not take place.")
    if for_good and meeting.kind != Meeting.Kind.JOINT:
        raise DomainError("Only a joint session can be cancelled for good.")
    if meeting.status != Meeting.Status.SCHEDULED:
        raise DomainError(f"This meeting is {meeting.get_status_display().lower()}, not scheduled.")
    status = Meeting.Status.NO_SHOW if no_show else Meeting.Status.CANCELLED
    _claim_meeting(meeting, expected_version, status=status, reason=reason.strip(), cancelled_for_good=for_good)
    text = f"{meeting.get_kind_display()} {'missed (no-show)' if no_show else 'cancelled'}"
    timeline_add(
        case=meeting.case,
        kind=TimelineEvent.Kind.MEETING,
        summary=text + (" for good" if for_good else ""),
        actor=actor,
    )
    meeting.refresh_from_db()
    queue_calendar_change(meeting)  # a cancelled meeting leaves the calendars that hold it
    return meeting


@transaction.atomic
def prep_waive(*, case: Case, actor, side: str, reason: str) -> Meeting:
    _require_stage(case, {S.PREPARATION}, "waive a preparation meeting")
    kind = {"victim": Meeting.Kind.PREP_VICTIM, "offender": Meeting.Kind.PREP_OFFENDER}.get(side)
    if kind is None:
        raise DomainError("Choose the victim side or the offender side.")
    if not reason.strip():
        raise DomainError("Give the reason for waiving the preparation meeting.")
    if Meeting.objects.filter(case=case, kind=kind, status__in=[Meeting.Status.HELD, Meeting.Status.WAIVED]).exists():
        raise DomainError(f"The {side} side's preparation is already held or waived.")
    meeting = Meeting.objects.create(
        case=case, kind=kind, status=Meeting.Status.WAIVED, reason=reason.strip(), created_by=actor
    )
    timeline_add(
        case=case,
        kind=TimelineEvent.Kind.MEETING,
        summary=f"Preparation meeting with the {side} side waived: {reason.strip()}",
        actor=actor,
    )
    return meeting


# --- Indirect mediation and mode ---------------------------------------------------------------------


@transaction.atomic
def shuttle_record(
    *, case: Case, actor, held_on: date, direction: str, form: str, summary: str, concludes: str = ""
) -> ShuttleRound:
    _require_stage(case, {S.JOINT_SESSION}, "record indirect exchanges")
    if case.mode != Case.Mode.INDIRECT:
        raise DomainError("This case is in face-to-face mediation: switch it to indirect mediation first.")
    problems = _check_day(case, held_on, "An exchange")
    if held_on > timezone.localdate():
        problems.append("An exchange cannot be dated in the future.")
    if not summary.strip():
        problems.append("Summarise what was carried.")
    if session_result(_facts(case)):
        problems.append("Indirect mediation has already concluded.")
    if problems:
        raise DomainError("The exchange was not saved.", problems)
    round_ = ShuttleRound.objects.create(
        case=case,
        held_on=held_on,
        direction=direction,
        form=form,
        summary=summary.strip(),
        concludes=concludes,
        recorded_by=actor,
    )
    text = f"{round_.get_form_display()} carried {round_.get_direction_display()[5:]}"
    if concludes:
        text += f"; concluded: {round_.get_concludes_display().lower()}"
    timeline_add(case=case, kind=TimelineEvent.Kind.SHUTTLE, summary=text, actor=actor)
    return round_


@transaction.atomic
def case_set_mode(*, case: Case, expected_version: int, actor, mode: str, reason: str) -> Case:
    """Switch between face-to-face and indirect (shuttle) mediation."""
    _require_stage(case, WORKING_STAGES, "change the mediation mode")
    if mode not in Case.Mode.values:
        raise DomainError("Choose face to face or indirect.")
    if mode == case.mode:
        raise DomainError(f"The case is already in {case.get_mode_display().lower()} mediation.")
    if not reason.strip():
        raise DomainError("Give the reason for changing the mode.")
    if (
        mode == Case.Mode.INDIRECT
        and Meeting.objects.filter(case=case, kind=Meeting.Kind.JOINT, status=Meeting.Status.SCHEDULED).exists()
    ):
        raise DomainError("A joint session is scheduled: cancel it before switching to indirect mediation.")
    if mode == Case.Mode.DIRECT and ShuttleRound.objects.filter(case=case).exists():
        raise DomainError("Indirect exchanges are already recorded; the case stays in indirect mediation.")
    claim(
        Case.objects.filter(pk=case.pk, version=expected_version, stage=case.stage),
        stale="This case was changed by someone else since you opened it. Nothing was changed.",
        mode=mode, version=F("version") + 1, updated_at=timezone.now(),
    )  # fmt: skip
    timeline_add(
        case=case,
        kind=TimelineEvent.Kind.MODE,
        summary=f"Mode changed to {Case.Mode(mode).label.lower()}: {reason.strip()}",
        actor=actor,
    )
    case.refresh_from_db()
    return case


# --- Time ----------------------------------------------------------------------------------------------


@transaction.atomic
def timelog_add(*, case: Case, mediator, on: date, minutes: int, activity: str, note: str = "") -> TimeLog:
    problems = _check_day(case, on, "Time")
    if on > timezone.localdate():
        problems.append("Time cannot be logged for a future date.")
    if not 1 <= minutes <= 24 * 60:
        problems.append("Minutes must be between 1 and 1440 (one day).")
    if activity not in TimeLog.Activity.values:
        problems.append("Choose an activity.")
    if problems:
        raise DomainError("The time was not logged.", problems)
    already = sum(TimeLog.objects.filter(mediator=mediator, on=on).values_list("minutes", flat=True))
    if already + minutes > 24 * 60:
        raise DomainError(
            "The time was not logged.", [f"That would make more than 24 hours on {on:%b %-d, %Y} for {mediator}."]
        )
    return TimeLog.objects.create(case=case, mediator=mediator, on=on, minutes=minutes, activity=activity, note=note)


# --- Stage moves ------------------------------------------------------------------------------------


def _facts(case: Case) -> CaseFacts:
    """The case's facts as mediation's guards read them (read afresh, inside the caller's transaction)."""
    return case_facts(case, apps={"mediation"})


def _refuse_if(missing: list[str], doing: str) -> None:
    if missing:
        raise DomainError(f"The case cannot {doing} yet.", missing)


@transaction.atomic
def case_begin_preparation(*, case: Case, expected_version: int, actor) -> Case:
    _refuse_if(screening_gaps(_facts(case)), "move to preparation")
    return case_move(
        case=case,
        to_stage=S.PREPARATION,
        expected_version=expected_version,
        actor=actor,
        summary="Every party screened suitable. Preparation begins.",
    )


@transaction.atomic
def case_close_after_screening(*, case: Case, expected_version: int, actor) -> Case:
    _refuse_if(guard_close_after_screening(facts := _facts(case)), "be closed on screening")
    screening = failed_screening(facts)
    outcome = FAILED_SCREENING_OUTCOMES[screening.outcome]
    who = role_name(screening.party)
    return case_move(
        case=case,
        to_stage=S.CLOSED,
        expected_version=expected_version,
        actor=actor,
        summary=f"Closed: {who} {screening.get_outcome_display().lower()}.",
        outcome=outcome,
        outcome_reason=f"{who}: {screening.reason}",
    )


@transaction.atomic
def case_begin_session(*, case: Case, expected_version: int, actor) -> Case:
    _refuse_if(guard_begin_session(_facts(case)), "move to the joint session")
    label = (
        "Indirect mediation begins." if case.mode == Case.Mode.INDIRECT else "Both sides prepared; session scheduled."
    )
    return case_move(case=case, to_stage=S.JOINT_SESSION, expected_version=expected_version, actor=actor, summary=label)


@transaction.atomic
def case_record_agreement(*, case: Case, expected_version: int, actor) -> Case:
    _refuse_if(guard_record_agreement(_facts(case)), "move to the written agreement")
    return case_move(
        case=case,
        to_stage=S.AGREEMENT,
        expected_version=expected_version,
        actor=actor,
        summary="Agreement reached. The written agreement is next.",
    )


@transaction.atomic
def case_close_without_agreement(*, case: Case, expected_version: int, actor) -> Case:
    _refuse_if(guard_close_without_agreement(facts := _facts(case)), "be closed without agreement")
    result = session_result(facts)
    outcome = Case.Outcome.CANCELLED if result == "cancelled" else Case.Outcome.NO_AGREEMENT
    return case_move(
        case=case,
        to_stage=S.CLOSED,
        expected_version=expected_version,
        actor=actor,
        summary=f"Closed: {Case.Outcome(outcome).label.lower()}.",
        outcome=outcome,
        outcome_reason="Recorded from the mediation outcome.",
    )
