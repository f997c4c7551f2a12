"""Guards of the stage moves that mediation owns. Each takes the case's facts (``cases.extensions.CaseFacts``,
with mediation's under ``facts.of("mediation")``) and returns what is missing, as sentences; none reads the
database."""

from cases.extensions import CaseFacts
from cases.models import Case, Party

from .facts import mediation_facts
from .models import Meeting, Screening, ShuttleRound
from .selectors import prep_status, required_screening_parties, role_name

FAILED_SCREENING_OUTCOMES = {
    Screening.Outcome.NOT_SUITABLE: Case.Outcome.UNSUITABLE,
    Screening.Outcome.DECLINED: Case.Outcome.DECLINED,
    Screening.Outcome.UNREACHABLE: Case.Outcome.UNREACHABLE,
}


def screening_gaps(facts: CaseFacts) -> list[str]:
    case, parties = facts.case, facts.parties
    missing = []
    if not any(p.role == Party.Role.OFFENDER for p in parties):
        missing.append("No offender is recorded.")
    if not any(p.role == Party.Role.VICTIM for p in parties):
        missing.append("No victim is recorded.")
    latest = mediation_facts(facts).latest
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


def failed_screening(facts: CaseFacts) -> Screening | None:
    """The latest screening of a required party that rules the case out, if any."""
    latest = mediation_facts(facts).latest
    for party in required_screening_parties(facts.case, facts.parties):
        screening = latest.get(party.pk)
        if screening is not None and screening.outcome in FAILED_SCREENING_OUTCOMES:
            return screening
    return None


def guard_close_after_screening(facts: CaseFacts) -> list[str]:
    if failed_screening(facts) is None:
        return ["No required party has declined, been screened not suitable or been unreachable."]
    return []


def guard_begin_session(facts: CaseFacts) -> list[str]:
    case, meetings = facts.case, mediation_facts(facts).meetings
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


def _concluding_round(rounds: list[ShuttleRound]) -> ShuttleRound | None:
    concluding = [r for r in rounds if r.concludes]
    return max(concluding, key=lambda r: (r.held_on, r.pk)) if concluding else None


def _last_joint(meetings: list[Meeting]) -> Meeting | None:
    held = [m for m in meetings if m.kind == Meeting.Kind.JOINT and m.status != Meeting.Status.SCHEDULED]
    # The latest by time, one without a time counting as the latest (as PostgreSQL sorts them).
    return max(held, key=lambda m: (m.scheduled_for is None, m.scheduled_for or m.created_at, m.pk)) if held else None


def session_result(facts: CaseFacts) -> str:
    """'agreement', 'no_agreement', 'cancelled' or '' for the mediation stage, whatever the mode."""
    found = mediation_facts(facts)
    if facts.case.mode == Case.Mode.INDIRECT:
        last = _concluding_round(found.rounds)
        return last.concludes if last else ""
    last = _last_joint(found.meetings)
    if last is None:
        return ""
    if last.status == Meeting.Status.HELD and last.outcome in {Meeting.Outcome.AGREEMENT, Meeting.Outcome.NO_AGREEMENT}:
        return last.outcome
    if last.status in {Meeting.Status.CANCELLED, Meeting.Status.NO_SHOW} and last.cancelled_for_good:
        return "cancelled"
    return ""


def guard_record_agreement(facts: CaseFacts) -> list[str]:
    if session_result(facts) == "agreement":
        return []
    if facts.case.mode == Case.Mode.INDIRECT:
        return ["Indirect mediation has not concluded with an agreement."]
    return ["Joint session not yet held with an agreement."]


def guard_close_without_agreement(facts: CaseFacts) -> list[str]:
    if session_result(facts) in {"no_agreement", "cancelled"}:
        return []
    if facts.case.mode == Case.Mode.INDIRECT:
        return ["Indirect mediation has not concluded without agreement."]
    return ["The joint session was neither held without agreement nor cancelled for good."]
