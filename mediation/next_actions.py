"""The next thing a mediator should do on each case, computed for many cases in a fixed number of queries.

The order follows VOM practice: the offender side is contacted and screened first, so a victim's
hopes are not raised for a case the offender will refuse; the joint session is aimed at about four
weeks after referral.
"""

from collections import defaultdict
from datetime import timedelta

from django.utils import timezone

from cases.extensions import CaseFacts, NextAction
from cases.models import Case, Party
from vom.core.precompiled import Precompiled
from vom.core.reversing import reverse_once

from .facts import MediationFacts, latest_screenings_read, mediation_facts, meetings_and_rounds, party_annotations
from .models import Meeting, Screening, ShuttleRound
from .selectors import interpreter_warnings, prep_status, required_screening_parties, role_name

FIRST_CONTACT_DAYS = 7
SCREENING_DAYS = 14
PREP_SCHEDULING_DAYS = 7
JOINT_SESSION_TARGET_DAYS = 28
SHUTTLE_ROUND_DAYS = 7


def _local(dt):
    return timezone.localtime(dt)


ASSIGNMENT_DAYS = 3


def _assign_action(case: Case) -> NextAction:
    return NextAction(
        "Assign a lead mediator",
        case.referral_date + timedelta(days=ASSIGNMENT_DAYS),
        reverse_once("mediation:assign", args=[case.pk]),
    )


def _parties(*case_ids: int):
    parties = Party.objects.filter(case_id__in=case_ids).select_related("person").annotate(**party_annotations())
    return parties.in_display_order().listed(
        "related_party_id", "person__date_of_birth", "preferred_language", "interpreter_needed"
    )


# Compiled once per process and number of cases: the screening subqueries cost more to compile than to run.
_PARTIES = Precompiled(_parties)


def next_actions(cases: list[Case]) -> dict[int, list[NextAction]]:
    """For lists of cases: what the actions need of many cases, in a fixed number of queries."""
    result = {case.pk: [_assign_action(case)] for case in cases if case.stage == Case.Stage.REFERRED}
    working = [c for c in cases if c.is_workable]
    if not working:
        return result
    ids = [c.pk for c in working]
    parties_by_case: dict[int, list[Party]] = defaultdict(list)
    # What the actions need (who must be screened, who needs an interpreter), with each party's latest screening
    # and contact attempts read with it: not the parties' contact details.
    all_parties = _PARTIES.rows(*ids)
    for party in all_parties:
        parties_by_case[party.case_id].append(party)
    latest = latest_screenings_read(all_parties)
    attempts = {party.pk: party.contact_attempt_count for party in all_parties}
    indirect = [c.pk for c in working if c.mode == Case.Mode.INDIRECT]
    meetings, attendees, rounds = meetings_and_rounds(ids, indirect, all_parties)
    meetings_by_case: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in meetings:
        meetings_by_case[meeting.case_id].append(meeting)
    rounds_by_case: dict[int, list[ShuttleRound]] = defaultdict(list)
    for round_ in rounds:
        rounds_by_case[round_.case_id].append(round_)

    for case in working:
        found = MediationFacts(case, latest, attempts, meetings_by_case[case.pk], attendees, rounds_by_case[case.pk])
        facts = CaseFacts(case=case, parties=parties_by_case[case.pk], apps={"mediation": found})
        result[case.pk] = case_next_actions(facts)
    return result


def case_next_actions(facts: CaseFacts) -> list[NextAction]:
    """The case page's: from its facts, as ``next_actions`` gives them for a list."""
    case, parties = facts.case, facts.parties
    if case.stage == Case.Stage.REFERRED:
        return [_assign_action(case)]
    if not case.is_workable:
        return []
    found = mediation_facts(facts)
    if case.stage == Case.Stage.SCREENING:
        action = _screening_action(case, parties, found.latest, found.attempts)
    elif case.stage == Case.Stage.PREPARATION:
        action = _preparation_action(case, found.meetings)
    else:
        action = _session_action(case, found.meetings, found.rounds)
    return [*_interpreter_actions(case, found.meetings, found.attendees), action]


def _interpreter_actions(case: Case, meetings: list[Meeting], attendees) -> list[NextAction]:
    """ "Somali interpreter not yet booked" for each scheduled meeting that needs one: before anything else."""
    actions = []
    for meeting in meetings:
        for warning in interpreter_warnings(meeting, attendees.get(meeting.pk, [])):
            when = f"{_local(meeting.scheduled_for):%a %-d %b %H:%M}"
            actions.append(NextAction(
                f"{warning} for the {meeting.get_kind_display().lower()} {when}",
                meeting.scheduled_for,
                reverse_once("mediation:meeting", args=[case.pk, meeting.pk]),
                priority=5,
            ))  # fmt: skip
    return actions


def _screening_action(case: Case, parties, latest, attempts) -> NextAction:
    required = required_screening_parties(case, parties)
    failed = [p for p in required if p.pk in latest and latest[p.pk].outcome != Screening.Outcome.SUITABLE]
    if failed:
        party = failed[0]
        return NextAction(
            f"{role_name(party)} {latest[party.pk].get_outcome_display().lower()}: re-screen or close the case",
            timezone.localdate(),
            reverse_once("cases:detail", args=[case.pk]),
        )
    pending = [p for p in required if p.pk not in latest]
    offender_side = [p for p in pending if p.role in {Party.Role.OFFENDER, Party.Role.GUARDIAN}]
    # Offender side first; the victim is approached once the offender side is ready.
    queue = offender_side or pending
    if not queue:
        page = reverse_once("cases:detail", args=[case.pk])
        return NextAction("Move the case to preparation", timezone.localdate(), page, priority=10)
    party = queue[0]
    url = reverse_once("mediation:screening", args=[case.pk, party.pk])
    if not attempts.get(party.pk):
        return NextAction(
            f"Contact the {party.get_role_display().lower()} {party.person}",
            case.referral_date + timedelta(days=FIRST_CONTACT_DAYS),
            url,
        )
    return NextAction(
        f"Screen the {party.get_role_display().lower()} {party.person}",
        case.referral_date + timedelta(days=SCREENING_DAYS),
        url,
    )


def _preparation_action(case: Case, meetings: list[Meeting]) -> NextAction:
    prep = prep_status(meetings)
    started = _local(case.stage_changed_at).date()
    for side, kind in (("offender", Meeting.Kind.PREP_OFFENDER), ("victim", Meeting.Kind.PREP_VICTIM)):
        meeting = prep[side]
        if meeting is None:
            return NextAction(
                f"Schedule the prep meeting with the {side} side",
                started + timedelta(days=PREP_SCHEDULING_DAYS),
                reverse_once("mediation:meeting_new", args=[case.pk]) + f"?kind={kind}",
            )
        if meeting.status == Meeting.Status.SCHEDULED:
            return NextAction(
                f"Hold prep meeting with the {side} side {_local(meeting.scheduled_for):%a %-d %b %H:%M}",
                meeting.scheduled_for,
                reverse_once("mediation:meeting", args=[case.pk, meeting.pk]),
            )
    if case.mode == Case.Mode.DIRECT and not any(
        m.kind == Meeting.Kind.JOINT and m.status == Meeting.Status.SCHEDULED for m in meetings
    ):
        return NextAction(
            "Schedule the joint session",
            case.referral_date + timedelta(days=JOINT_SESSION_TARGET_DAYS),
            reverse_once("mediation:meeting_new", args=[case.pk]) + f"?kind={Meeting.Kind.JOINT}",
        )
    label = "Begin indirect mediation" if case.mode == Case.Mode.INDIRECT else "Move the case to the joint session"
    return NextAction(label, timezone.localdate(), reverse_once("cases:detail", args=[case.pk]), priority=10)


def _session_action(case: Case, meetings: list[Meeting], rounds: list[ShuttleRound]) -> NextAction:
    page = reverse_once("cases:detail", args=[case.pk])
    if case.mode == Case.Mode.INDIRECT:
        concluded = [r for r in rounds if r.concludes]
        if concluded:
            verdict = "Move to the written agreement" if concluded[-1].concludes == "agreement" else "Close the case"
            return NextAction(verdict, timezone.localdate(), page, priority=10)
        last = rounds[-1].held_on if rounds else _local(case.stage_changed_at).date()
        return NextAction(
            "Carry the next exchange (indirect mediation)",
            last + timedelta(days=SHUTTLE_ROUND_DAYS),
            reverse_once("mediation:shuttle_new", args=[case.pk]),
        )
    joints = [m for m in meetings if m.kind == Meeting.Kind.JOINT]
    scheduled = [m for m in joints if m.status == Meeting.Status.SCHEDULED]
    if scheduled:
        meeting = scheduled[0]
        return NextAction(
            f"Hold the joint session {_local(meeting.scheduled_for):%a %-d %b %H:%M}",
            meeting.scheduled_for,
            reverse_once("mediation:meeting", args=[case.pk, meeting.pk]),
        )
    done = [m for m in joints if m.status != Meeting.Status.SCHEDULED]
    if done and done[-1].status == Meeting.Status.HELD and done[-1].outcome == Meeting.Outcome.AGREEMENT:
        return NextAction("Move to the written agreement", timezone.localdate(), page, priority=10)
    if done and (done[-1].outcome == Meeting.Outcome.NO_AGREEMENT or done[-1].cancelled_for_good):
        return NextAction("Close the case: no agreement", timezone.localdate(), page, priority=10)
    return NextAction(
        "Reschedule the joint session",
        timezone.localdate(),
        reverse_once("mediation:meeting_new", args=[case.pk]) + f"?kind={Meeting.Kind.JOINT}",
    )
