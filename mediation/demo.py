"""Demo records for mediation, consistent with each seeded case's stage (registered as a demo seeder).

A case in preparation has every required party screened suitable and its offender-side meeting held;
a case past the joint session has both preparation meetings and a session that reached agreement; a
case closed because a party declined has that screening. Everything is bulk-inserted.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.utils import timezone

from cases.models import Case, Party
from vom.core.bulk import bulk_insert, new

from .models import ContactAttempt, MediatorProfile, Meeting, Screening, ShuttleRound
from .selectors import OFFENDER_SIDE, required_screening_parties

PROFILES = {
    "mediator": ("English, Spanish", 20, "Weekday evenings, Saturday mornings", "Rosa Murphy\n12 Cedar Ln"),
    "mediator2": ("English, Swedish", 16, "Tuesdays and Thursdays", ""),
    "mediator3": ("English, Vietnamese", 12, "Weekends", ""),
}
PLACES = [
    "Program office, 210 Court Street, Room 2",
    "Riverbend Public Library, meeting room B",
    "Westfield Community Center",
]
S = Case.Stage
O = Case.Outcome  # noqa: E741 -- mirrors S for the stage names
PREP_NOTES = {
    "offender": ("To apologise and find a way to pay for the damage.", "Weekly payments from a part-time job."),
    "victim": ("To understand why it happened and be repaid.", "The repair costs and an apology in person."),
}
REACHED_STAGES = {
    S.PREPARATION: 2,
    S.JOINT_SESSION: 3,
    S.AGREEMENT: 4,
    S.FOLLOW_UP: 4,
}
SCREENING_FAILURES = {
    O.DECLINED: (Screening.Outcome.DECLINED, "Does not want to meet; wants to put the incident behind them."),
    O.UNSUITABLE: (Screening.Outcome.NOT_SUITABLE, "Still very angry; a meeting now risks further harm."),
    O.UNREACHABLE: (Screening.Outcome.UNREACHABLE, "Five attempts by phone and letter over three weeks, no answer."),
}


def _aware(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def ensure_profiles(users) -> None:
    existing = set(MediatorProfile.objects.filter(user__in=users).values_list("user_id", flat=True))
    profiles = []
    for user in sorted(users, key=lambda u: u.pk):
        if user.pk in existing:
            continue
        languages, max_cases, availability, conflicts = PROFILES.get(user.username, ("English", 8, "", ""))
        profiles.append(
            new(
                MediatorProfile,
                user=user,
                languages=languages,
                max_active_cases=max_cases,
                availability=availability,
                conflicts=conflicts,
                training_completed_on=timezone.localdate() - timedelta(days=400),
            )
        )
    # A parallel bulk seed may meet the same mediator in two processes: the second leaves the first's row.
    # Both insert in user order, so one waits for the other instead of each holding a row the other needs
    # (a deadlock, seen on a fresh database).
    MediatorProfile.objects.bulk_create(profiles, ignore_conflicts=True)


@dataclass
class _Rows:
    screenings: list = field(default_factory=list)
    attempts: list = field(default_factory=list)
    meetings: list = field(default_factory=list)  # (Meeting, attendee parties)
    rounds: list = field(default_factory=list)


def seed_mediation(*, cases: list[Case], parties_by_case: dict[int, list[Party]], seed: int) -> None:
    mediators = {u.pk: u for c in cases for u in (c.lead_mediator, c.co_mediator) if u is not None}
    ensure_profiles(list(mediators.values()))
    rows = _Rows()
    for case in cases:
        if case.stage != S.REFERRED:
            _seed_case(case, parties_by_case[case.pk], random.Random(f"{seed}:{case.number}:mediation"), rows)
    bulk_insert(rows.screenings, batch_size=5000)
    bulk_insert(rows.attempts, batch_size=5000)
    created = bulk_insert([m for m, _ in rows.meetings], batch_size=5000)
    Attendee, Facilitator = Meeting.attendees.through, Meeting.mediators.through
    attendance, facilitation = [], []
    for meeting, (_m, who) in zip(created, rows.meetings, strict=True):
        attendance.extend(Attendee(meeting_id=meeting.pk, party_id=p.pk) for p in who)
        team = (meeting.case.lead_mediator_id, meeting.case.co_mediator_id)
        facilitation.extend(Facilitator(meeting_id=meeting.pk, user_id=uid) for uid in team if uid)
    bulk_insert(attendance, batch_size=5000)
    bulk_insert(facilitation, batch_size=5000)
    bulk_insert(rows.rounds, batch_size=5000)


def _screen(rows: _Rows, case: Case, party: Party, rng, on, outcome=Screening.Outcome.SUITABLE, reason="") -> None:
    mediator = case.lead_mediator
    rows.attempts.append(
        new(
            ContactAttempt,
            party=party,
            at=_aware(on, 10),
            method=ContactAttempt.Method.PHONE,
            result=ContactAttempt.Result.REACHED,
            recorded_by=mediator,
        )
    )
    victim = party.role not in OFFENDER_SIDE
    suitable = outcome == Screening.Outcome.SUITABLE
    concerns = victim and rng.random() < 0.25
    rows.screenings.append(
        new(
            Screening,
            party=party,
            screened_on=on,
            screened_by=mediator,
            outcome=outcome,
            reason=reason,
            willing_to_meet=victim and suitable and case.mode == Case.Mode.DIRECT,
            willing_indirect=victim and suitable,
            safety_concerns="Worried about running into the offender near home." if concerns else "",
            safety_plan="Separate arrival and departure times; a support person attends." if concerns else "",
            acknowledges_responsibility=not victim and suitable,
            willing_to_make_amends=not victim and suitable,
            guardian_consents=party.role == Party.Role.GUARDIAN and suitable,
            emotionally_ready=suitable,
            understands_voluntary=True,
            consent_given_on=on if suitable else None,
        )
    )


def _seed_case(case: Case, parties: list[Party], rng: random.Random, rows: _Rows) -> None:
    today = timezone.localdate()
    required = required_screening_parties(case, parties)
    offender_side = [p for p in required if p.role in OFFENDER_SIDE]
    victim_side = [p for p in required if p.role not in OFFENDER_SIDE]
    mediator = case.lead_mediator
    limit = min(today, timezone.localtime(case.stage_changed_at).date())
    day = min(case.referral_date + timedelta(days=rng.randint(2, 5)), limit)

    if case.stage == S.SCREENING:
        for party in offender_side:
            if rng.random() < 0.5:
                _screen(rows, case, party, rng, day)
            else:
                attempt = new(
                    ContactAttempt,
                    party=party,
                    at=_aware(day, 15),
                    method=ContactAttempt.Method.PHONE,
                    result=ContactAttempt.Result.LEFT_MESSAGE,
                    recorded_by=mediator,
                )
                rows.attempts.append(attempt)
        return
    if case.stage == S.CLOSED and case.outcome in SCREENING_FAILURES:
        outcome, reason = SCREENING_FAILURES[case.outcome]
        for party in offender_side:
            _screen(rows, case, party, rng, day)
        if victim_side:
            _screen(rows, case, victim_side[0], rng, min(day + timedelta(days=3), limit), outcome, reason)
        return
    if case.stage == S.CLOSED and case.outcome == O.WITHDRAWN:
        return
    for party in required:
        _screen(rows, case, party, rng, day)

    reached = REACHED_STAGES.get(case.stage, 4)
    prep_day = min(day + timedelta(days=rng.randint(5, 9)), limit)
    offender_parties = [p for p in parties if p.role in OFFENDER_SIDE]
    victim_parties = [p for p in parties if p.role not in OFFENDER_SIDE and p.role != Party.Role.SUPPORT]
    prep = [
        (Meeting.Kind.PREP_OFFENDER, offender_parties, PREP_NOTES["offender"]),
        (Meeting.Kind.PREP_VICTIM, victim_parties, PREP_NOTES["victim"]),
    ]
    for index, (kind, who, (hopes, ideas)) in enumerate(prep):
        held = reached > 2 or index == 0
        if held:
            when = _aware(prep_day + timedelta(days=index * 2), 17, 30)
        else:
            when = _aware(today + timedelta(days=rng.randint(2, 9)), 17, 30)
        meeting = new(
            Meeting,
            case=case,
            kind=kind,
            scheduled_for=when,
            location=rng.choice(PLACES),
            created_by=mediator,
            status=Meeting.Status.HELD if held else Meeting.Status.SCHEDULED,
            hopes=hopes if held else "",
            restitution_ideas=ideas if held else "",
        )
        rows.meetings.append((meeting, who))
    if reached < 3:
        return
    session_day = min(prep_day + timedelta(days=rng.randint(7, 14)), limit)
    if case.mode == Case.Mode.INDIRECT:
        _seed_exchanges(case, rows, session_day, concluded=reached > 3 or case.stage == S.CLOSED)
        return
    everyone = [p for p in parties if p.role != Party.Role.SUPPORT]
    common = {"case": case, "kind": Meeting.Kind.JOINT, "duration_minutes": 120, "created_by": mediator}
    if reached == 3 and case.stage != S.CLOSED:
        upcoming = _aware(today + timedelta(days=rng.randint(1, 12)), 18)
        rows.meetings.append((new(Meeting, scheduled_for=upcoming, location=rng.choice(PLACES), **common), everyone))
        return
    if case.outcome == O.CANCELLED:
        joint = new(
            Meeting,
            scheduled_for=_aware(session_day, 18),
            location=rng.choice(PLACES),
            status=Meeting.Status.CANCELLED,
            cancelled_for_good=True,
            reason="The victim withdrew before the session.",
            **common,
        )
    else:
        outcome = Meeting.Outcome.NO_AGREEMENT if case.outcome == O.NO_AGREEMENT else Meeting.Outcome.AGREEMENT
        joint = new(
            Meeting,
            scheduled_for=_aware(session_day, 18),
            location=rng.choice(PLACES),
            status=Meeting.Status.HELD,
            outcome=outcome,
            summary="The victim spoke first about the harm; the offender listened and apologised.",
            **common,
        )
    rows.meetings.append((joint, everyone))


def _seed_exchanges(case: Case, rows: _Rows, on, concluded: bool) -> None:
    mediator = case.lead_mediator
    rows.rounds.append(
        new(
            ShuttleRound,
            case=case,
            held_on=on,
            direction=ShuttleRound.Direction.VICTIM_TO_OFFENDER,
            form=ShuttleRound.Form.IMPACT_STATEMENT,
            summary="The victim's letter on how the incident affected the family.",
            recorded_by=mediator,
        )
    )
    if concluded:
        rows.rounds.append(
            new(
                ShuttleRound,
                case=case,
                held_on=on + timedelta(days=5),
                direction=ShuttleRound.Direction.OFFENDER_TO_VICTIM,
                form=ShuttleRound.Form.OFFER,
                summary="Apology letter and an offer to repay in installments.",
                concludes="no_agreement" if case.outcome == O.NO_AGREEMENT else "agreement",
                recorded_by=mediator,
            )
        )
