"""The parts of the case page that mediation fills in (registered in MediationConfig.ready), from the case's
facts: none reads the database."""

from cases.extensions import CaseFacts
from cases.models import Case

from .facts import mediation_facts
from .models import Meeting
from .selectors import interpreter_warnings, joint_sessions, meetings_to_schedule, prep_status, screening_overview


def team_panel(facts: CaseFacts) -> dict:
    return {"minutes": mediation_facts(facts).minutes}


def screening_panel(facts: CaseFacts) -> dict:
    rows = screening_overview(facts.case, facts.parties, mediation_facts(facts).latest)
    return {"rows": rows, "visible": facts.case.stage != Case.Stage.REFERRED}


def meetings_panel(facts: CaseFacts) -> dict:
    case, found = facts.case, mediation_facts(facts)
    meetings = found.meetings
    warnings = {m.pk: interpreter_warnings(m, found.attendees[m.pk]) for m in meetings if m.pk in found.attendees}
    return {
        "interpreter_warnings": {pk: found for pk, found in warnings.items() if found},
        "visible": case.allows_meetings or bool(meetings),
        "prep": prep_status(meetings),
        "prep_meetings": [m for m in meetings if m.is_prep],
        "joint": joint_sessions(meetings),
        "rounds": found.rounds if case.mode == Case.Mode.INDIRECT else [],
        "can_schedule": case.allows_meetings,
        "to_schedule": [Meeting.Kind(kind).label for kind in meetings_to_schedule(case, meetings)],
    }
