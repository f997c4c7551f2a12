"""Reads for screening, meetings and assignment, shared by guards, pages and next actions."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from cases.models import Assignment, Case, Membership, Party, Person
from cases.rules import is_juvenile
from cases.stages import OPEN_STAGES, allows_meetings
from vom.core.i18n import LANGUAGE_NAMES

from .models import MediatorProfile, Meeting, Screening

OFFENDER_SIDE = {Party.Role.OFFENDER, Party.Role.GUARDIAN}


def party_is_juvenile(party: Party, case: Case) -> bool:
    return party.role == Party.Role.OFFENDER and is_juvenile(party.person.date_of_birth, case.age_reference_date)


def required_screening_parties(case: Case, parties: list[Party]) -> list[Party]:
    """Who must be screened suitable before preparation, offender side first.

    Every offender; the parent or guardian of each juvenile offender; every individual victim; for an
    organisation victim, its representative (the organisation cannot be screened itself).
    """
    juvenile_ids = {p.pk for p in parties if party_is_juvenile(p, case)}
    offenders = [p for p in parties if p.role == Party.Role.OFFENDER]
    guardians = [p for p in parties if p.role == Party.Role.GUARDIAN and p.related_party_id in juvenile_ids]
    victims = [p for p in parties if p.role == Party.Role.VICTIM and p.person.kind == Person.Kind.INDIVIDUAL] + [
        p for p in parties if p.role == Party.Role.VICTIM_REPRESENTATIVE
    ]
    return offenders + guardians + victims


def latest_screenings(parties) -> dict[int, Screening]:
    """The latest screening of each party (one query)."""
    latest: dict[int, Screening] = {}
    for screening in Screening.objects.filter(party__in=parties).order_by("party_id", "-screened_on", "-pk"):
        latest.setdefault(screening.party_id, screening)
    return latest


def case_parties(case: Case) -> list[Party]:
    return list(Party.objects.filter(case=case).select_related("person").in_display_order())


def role_name(party: Party) -> str:
    return f"{party.get_role_display()} {party.person}"


@dataclass
class ScreeningStatus:
    party: Party
    latest: Screening | None
    required: bool
    juvenile: bool

    @property
    def suitable(self) -> bool:
        return self.latest is not None and self.latest.outcome == Screening.Outcome.SUITABLE


def screening_overview(case: Case, parties: list[Party], latest: dict[int, Screening]) -> list[ScreeningStatus]:
    """Each party who must be screened or was, with their latest screening (``latest``, by party id)."""
    required = {p.pk for p in required_screening_parties(case, parties)}
    return [
        ScreeningStatus(p, latest.get(p.pk), p.pk in required, party_is_juvenile(p, case))
        for p in parties
        if p.pk in required or p.pk in latest
    ]


def prep_status(meetings: list[Meeting]) -> dict[str, Meeting | None]:
    """For each side, the prep meeting that counts: held or waived, else the next scheduled one."""
    result: dict[str, Meeting | None] = {}
    for side, kind in (("offender", Meeting.Kind.PREP_OFFENDER), ("victim", Meeting.Kind.PREP_VICTIM)):
        of_kind = [m for m in meetings if m.kind == kind]
        done = [m for m in of_kind if m.status in {Meeting.Status.HELD, Meeting.Status.WAIVED}]
        scheduled = [m for m in of_kind if m.status == Meeting.Status.SCHEDULED]
        result[side] = done[-1] if done else (scheduled[0] if scheduled else None)
    return result


# Who is invited to each kind of meeting: preparation is held separately with each side.
INVITED_ROLES = {
    Meeting.Kind.PREP_OFFENDER: {Party.Role.OFFENDER, Party.Role.GUARDIAN, Party.Role.SUPPORT},
    Meeting.Kind.PREP_VICTIM: {Party.Role.VICTIM, Party.Role.VICTIM_REPRESENTATIVE, Party.Role.SUPPORT},
}


def meeting_parties(case_id: int, kind: str):
    """The case's parties who may attend a meeting of this kind (everyone at the joint session)."""
    parties = Party.objects.filter(case_id=case_id).select_related("person").order_by("pk")
    roles = INVITED_ROLES.get(kind)
    return parties.filter(role__in=roles) if roles else parties


def meetings_to_schedule(case: Case, meetings: list[Meeting]) -> list[str]:
    """The kinds of meeting the case still needs scheduled, in the order they are held: each side's preparation
    (unless held, waived or scheduled) and, in face-to-face mediation, the joint session."""
    if not allows_meetings(case.stage):
        return []
    prep = prep_status(meetings)
    kinds = [kind for side, kind in (("offender", Meeting.Kind.PREP_OFFENDER), ("victim", Meeting.Kind.PREP_VICTIM))
             if prep[side] is None]  # fmt: skip
    joint_open = any(m.kind == Meeting.Kind.JOINT and m.status in {Meeting.Status.SCHEDULED, Meeting.Status.HELD}
                     for m in meetings)  # fmt: skip
    if case.mode == Case.Mode.DIRECT and not joint_open:
        kinds.append(Meeting.Kind.JOINT)
    return kinds


def meeting_to_record(case: Case) -> Meeting | None:
    """The earliest scheduled meeting whose start has passed: the one to record next."""
    return (
        Meeting.objects.filter(case=case, status=Meeting.Status.SCHEDULED, scheduled_for__lte=timezone.now())
        .order_by("scheduled_for", "pk")
        .first()
    )


def joint_sessions(meetings: list[Meeting]) -> list[Meeting]:
    return [m for m in meetings if m.kind == Meeting.Kind.JOINT]


# --- Assignment ------------------------------------------------------------------------------------


@dataclass
class MediatorOption:
    user: object
    profile: MediatorProfile | None
    active_cases: int
    conflicts: list[str] = field(default_factory=list)

    @property
    def max_active_cases(self) -> int | None:
        return self.profile.max_active_cases if self.profile else None

    @property
    def at_capacity(self) -> bool:
        return self.max_active_cases is not None and self.active_cases >= self.max_active_cases


def mediator_options(case: Case) -> list[MediatorOption]:
    """Every active mediator of the case's program with caseload, profile and conflict warnings (4 queries)."""
    User = get_user_model()
    users = list(
        User.objects.filter(
            is_active=True,
            memberships__program_id=case.program_id,
            memberships__role=Membership.Role.MEDIATOR,
        )
        .select_related("mediator_profile")
        .annotate(
            led=Count("cases_led", filter=Q(cases_led__stage__in=OPEN_STAGES), distinct=True),
            co=Count("cases_co_mediated", filter=Q(cases_co_mediated__stage__in=OPEN_STAGES), distinct=True),
        )
        .order_by("last_name", "first_name")
    )
    parties = case_parties(case)
    conflicts = _conflicts(case, users, parties)
    return [
        MediatorOption(
            user=u,
            profile=_profile(u),
            active_cases=u.led + u.co,
            conflicts=conflicts.get(u.pk, []),
        )
        for u in users
    ]


def assignment_warnings(options: list[MediatorOption], chosen: set[int]) -> list[str]:
    """What the coordinator confirms before assigning the chosen mediators: their conflicts and full caseloads."""
    warnings = [f"{o.user}: {c}" for o in options if o.user.pk in chosen for c in o.conflicts]
    return warnings + [
        f"{o.user} is at or over their maximum of {o.max_active_cases} active cases."
        for o in options
        if o.user.pk in chosen and o.at_capacity
    ]


def _profile(user) -> MediatorProfile | None:
    try:
        return user.mediator_profile
    except MediatorProfile.DoesNotExist:
        return None


def _conflicts(case: Case, users, parties: list[Party]) -> dict[int, list[str]]:
    """Declared conflicts (name or address lines in the profile) and earlier cases with the same person."""
    found: dict[int, list[str]] = {}
    for user in users:
        profile = _profile(user)
        for line in profile.conflict_lines if profile else []:
            for party in parties:
                name = str(party.person).lower()
                address = party.address.lower()
                if line == name or (len(line) >= 6 and line in address):
                    found.setdefault(user.pk, []).append(
                        f"declared a conflict with {party.get_role_display().lower()} {party.person}"
                    )
    person_ids = [p.person_id for p in parties]
    names = {p.person_id: p for p in parties}
    earlier = (
        Assignment.objects.filter(mediator__in=users, case__parties__person_id__in=person_ids)
        .exclude(case=case)
        .values_list("mediator_id", "case__number", "case__parties__person_id")
        .distinct()
    )
    for mediator_id, number, person_id in earlier:
        party = names[person_id]
        found.setdefault(mediator_id, []).append(f"mediated case {number}, which also involved {party.person}")
    return found


def session_date(case: Case):
    """The day the mediation reached its result: the last held joint session, or the concluding exchange."""
    from django.utils import timezone

    from .models import ShuttleRound

    if case.mode == Case.Mode.INDIRECT:
        last = ShuttleRound.objects.filter(case=case).exclude(concludes="").order_by("-held_on", "-pk").first()
        return last.held_on if last else None
    held = (
        Meeting.objects.filter(case=case, kind=Meeting.Kind.JOINT, status=Meeting.Status.HELD)
        .order_by("-scheduled_for")
        .values_list("scheduled_for", flat=True)
        .first()
    )
    return timezone.localtime(held).date() if held else None


def interpreter_needs(meeting: Meeting | None, attendees=None) -> list[str]:
    """The languages the attendees of a meeting (or the parties invited to one) need an interpreter for, once
    each: anyone who asked for one, and anyone who speaks another language than English."""
    attendees = meeting.attendees.all() if attendees is None else attendees
    needed = []
    for party in attendees:
        # Meetings are held in English: any other language needs an interpreter, whatever documents exist.
        needs = party.interpreter_needed or party.preferred_language != "en"
        if needs and party.preferred_language not in needed:
            needed.append(party.preferred_language)
    return needed


def interpreter_warnings(meeting: Meeting, attendees=None) -> list[str]:
    """ "Somali interpreter not yet booked" for each language a scheduled meeting's attendees need and no
    interpreter was booked for."""
    if meeting.status != Meeting.Status.SCHEDULED:
        return []
    booked = meeting.interpreter_language if meeting.interpreter else None
    return [
        f"{LANGUAGE_NAMES.get(code, code)} interpreter not yet booked"
        for code in interpreter_needs(meeting, attendees)
        if code != booked and not (meeting.interpreter and not meeting.interpreter_language)
    ]


def interpreter_line(meeting: Meeting) -> str:
    """For the mediators' reminder: which interpreter to expect, or which is still missing."""
    missing = interpreter_warnings(meeting)
    booked = ""
    if meeting.interpreter:
        language = LANGUAGE_NAMES.get(meeting.interpreter_language, "")
        booked = f"Interpreter: {meeting.interpreter}" + (f" ({language})" if language else "") + "."
    return " ".join([booked, *(f"{warning}!" for warning in missing)]).strip()
