"""The parts of the case page that mediation fills in (registered in MediationConfig.ready)."""

from django.db.models import Sum

from cases.models import Case

from .models import Meeting, ShuttleRound, TimeLog
from .selectors import (
    attendees_by_meeting,
    interpreter_warnings,
    joint_sessions,
    meetings_to_schedule,
    prep_status,
    screening_overview,
)


def team_panel(case: Case, user) -> dict:
    minutes = TimeLog.objects.filter(case=case).aggregate(total=Sum("minutes"))["total"] or 0
    return {"minutes": minutes}


def screening_panel(case: Case, user) -> dict:
    return {"rows": screening_overview(case), "visible": case.stage != Case.Stage.REFERRED}


def meetings_panel(case: Case, user) -> dict:
    meetings = list(Meeting.objects.filter(case=case).order_by("scheduled_for", "pk"))
    attendees = attendees_by_meeting(meetings)
    warnings = {m.pk: interpreter_warnings(m, attendees[m.pk]) for m in meetings if m.pk in attendees}
    return {
        "interpreter_warnings": {pk: found for pk, found in warnings.items() if found},
        "visible": case.allows_meetings or bool(meetings),
        "prep": prep_status(meetings),
        "prep_meetings": [m for m in meetings if m.is_prep],
        "joint": joint_sessions(meetings),
        "rounds": list(ShuttleRound.objects.filter(case=case).order_by("held_on", "pk"))
        if case.mode == Case.Mode.INDIRECT
        else [],
        "can_schedule": case.allows_meetings,
        "to_schedule": [Meeting.Kind(kind).label for kind in meetings_to_schedule(case, meetings)],
    }
