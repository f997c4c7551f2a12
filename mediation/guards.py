"""Guards of the stage moves that mediation owns. Each returns what is missing, as sentences."""

from cases.models import Case, Party

from .models import Meeting, Screening, ShuttleRound
from .selectors import case_parties, latest_screenings, prep_status, required_screening_parties, role_name

FAILED_SCREENING_OUTCOMES = {
    Screening.Outcome.NOT_SUITABLE: Case.Outcome.UNSUITABLE,
    Screening.Outcome.DECLINED: Case.Outcome.DECLINED,
    Screening.Outcome.UNREACHABLE: Case.Outcome.UNREACHABLE,
}


def screening_gaps(case: Case) -> list[str]:
    parties = case_parties(case)
    missing = []
    if not any(p.role == Party.Role.OFFENDER for p in parties):
        missing.append("No offender is recorded.")
    if not any(p.role == Party.Role.VICTIM for p in parties):
        missing.append("No victim is recorded.")
    latest = latest_screenings(parties)
    for party in required_screening_parties(case, parties):
        screening = latest.get(party.pk)
        if screening is None or screening.outcome != Screening.Outcome.SUITABLE:
            missing.append(f"{role_name(party)} not yet screened suitable.")
        elif (
            case.mode == Case.Mode.DIRECT
            and party.role in {Party.Role.VICTIM, Party.Role.VICTIM_REPRESENTATIVE}
            and not screening.willing_to_meet
        ):
            missing.append(
                f"{role_name(party)} is not willing to meet face to face: switch the case to indirect mediation."
            )
    return missing


def failed_screening(case: Case) -> Screening | None:
    """The latest screening of a required party that rules the case out, if any."""
    parties = case_parties(case)
    latest = latest_screenings(parties)
    for party in required_screening_parties(case, parties):
        screening = latest.get(party.pk)
        if screening is not None and screening.outcome in FAILED_SCREENING_OUTCOMES:
            return screening
    return None


def guard_close_after_screening(case: Case) -> list[str]:
    if failed_screening(case) is None:
        return ["No required party has declined, been screened not suitable or been unreachable."]
    return []


def _meetings(case: Case) -> list[Meeting]:
    return list(Meeting.objects.filter(case=case).order_by("scheduled_for", "pk"))


def guard_begin_session(case: Case) -> list[str]:
    meetings = _meetings(case)
    missing = []
    prep = prep_status(meetings)
    for side in ("offender", "victim"):
        meeting = prep[side]
        if meeting is None or meeting.status not in {Meeting.Status.HELD, Meeting.Status.WAIVED}:
            missing.append(f"Preparation meeting with the {side} side not yet held or waived.")
    if case.mode == Case.Mode.DIRECT and not any(
        m.kind == Meeting.Kind.JOINT and m.status == Meeting.Status.SCHEDULED for m in meetings
    ):
        missing.append("Joint session not yet scheduled.")
    return missing


def _concluding_round(case: Case) -> ShuttleRound | None:
    return ShuttleRound.objects.filter(case=case).exclude(concludes="").order_by("-held_on", "-pk").first()


def _last_joint(case: Case) -> Meeting | None:
    return (
        Meeting.objects.filter(case=case, kind=Meeting.Kind.JOINT)
        .exclude(status=Meeting.Status.SCHEDULED)
        .order_by("-scheduled_for", "-pk")
        .first()
    )


def session_result(case: Case) -> str:
    """'agreement', 'no_agreement', 'cancelled' or '' for the mediation stage, whatever the mode."""
    if case.mode == Case.Mode.INDIRECT:
        last = _concluding_round(case)
        return last.concludes if last else ""
    last = _last_joint(case)
    if last is None:
        return ""
    if last.status == Meeting.Status.HELD and last.outcome in {Meeting.Outcome.AGREEMENT, Meeting.Outcome.NO_AGREEMENT}:
        return last.outcome
    if last.status in {Meeting.Status.CANCELLED, Meeting.Status.NO_SHOW} and last.cancelled_for_good:
        return "cancelled"
    return ""


def guard_record_agreement(case: Case) -> list[str]:
    if session_result(case) == "agreement":
        return []
    if case.mode == Case.Mode.INDIRECT:
        return ["Indirect mediation has not concluded with an agreement."]
    return ["Joint session not yet held with an agreement."]


def guard_close_without_agreement(case: Case) -> list[str]:
    if session_result(case) in {"no_agreement", "cancelled"}:
        return []
    if case.mode == Case.Mode.INDIRECT:
        return ["Indirect mediation has not concluded without agreement."]
    return ["The joint session was neither held without agreement nor cancelled for good."]
