"""Reminders about cases themselves: inactivity, court return dates, reoffending checks coming due.

Each planner reads in a fixed number of queries and queues through the outbox, whose unique dedupe
keys make every run after the first add nothing.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from vom.core.i18n import document_language
from vom.notifications.models import Notification
from vom.notifications.services import Outgoing, notifications_queue

from .models import Case, Membership, OutcomeCheck, Party, Program
from .stages import BEFORE_FOLLOW_UP

# Declared in the cases extension (CasesConfig.ready): what each template's context must carry.
NOTIFICATION_TEMPLATES = {
    "inactive_case": {"case_number", "stage", "days", "url"},
    "court_date": {"case_number", "court_date", "stage", "url"},
    "outcome_check_due": {"case_number", "months", "due_on", "url"},
}


def party_recipients(party: Party, program: Program) -> list[dict]:
    """How a party is reached, one entry per channel they consented to: by email, by text, or both.

    Each entry is the recipient's fields for ``Outgoing`` plus ``who``, the party's part of a dedupe key
    (a text's differs from the email's, so one planner run queues both and each once).
    """
    name = str(party.person)
    language = document_language(party.preferred_language, program.document_languages)  # what they read
    reach = []
    if party.may_email:
        reach.append({"email": party.email, "name": name, "who": f"p{party.pk}", "language": language})
    if party.may_text:
        quiet = (program.quiet_hours_start, program.quiet_hours_end)
        reach.append({"phone": party.phone, "name": name, "who": f"p{party.pk}.sms", "language": language,
                      "channel": Notification.Channel.SMS, "quiet_hours": quiet})  # fmt: skip
    return reach


def coordinators_by_program() -> dict[int, list]:
    result: dict[int, list] = {}
    for membership in Membership.objects.filter(role=Membership.Role.COORDINATOR, user__is_active=True).select_related(
        "user"
    ):
        result.setdefault(membership.program_id, []).append(membership.user)
    return result


def _url(case_id: int) -> str:
    return f"{settings.SITE_URL}/cases/{case_id}/"


def plan_case_reminders(*, now=None) -> int:
    now = now or timezone.now()
    today = timezone.localdate(now)
    coordinators = coordinators_by_program()
    items: list[Outgoing] = []

    # Open cases with no timeline activity for longer than their program allows (follow-up has its own reminders).
    quiet = (
        Case.objects.filter(stage__in=BEFORE_FOLLOW_UP)
        .annotate(last_activity=Max("timeline__at"))
        .select_related("program", "lead_mediator")
    )
    for case in quiet.iterator(chunk_size=2000):
        last = case.last_activity or case.stage_changed_at
        days = (now - last).days
        if days < case.program.inactivity_days:
            continue
        context = {"case_number": case.number, "stage": case.get_stage_display(), "days": days, "url": _url(case.pk)}
        for user in [case.lead_mediator, *coordinators.get(case.program_id, [])]:
            if user is not None:
                items.append(Outgoing(f"inactive:{case.pk}:{last:%Y%m%d}:u{user.pk}", "inactive_case", now, context,
                                      user=user, case_id=case.pk))  # fmt: skip

    # Court return dates coming up for open cases: the coordinator must report before the court loses its power.
    # (Followed cases are told of by the follow-up planner, with a link to a progress report for the court.)
    horizon = today + timedelta(days=60)
    courts = (
        Case.objects.filter(stage__in=BEFORE_FOLLOW_UP)
        .filter(court_return_date__gte=today, court_return_date__lte=horizon)
        .select_related("program")
    )
    for case in courts.iterator(chunk_size=2000):
        if case.court_return_date > today + timedelta(days=case.program.court_warning_days):
            continue
        context = {
            "case_number": case.number, "court_date": f"{case.court_return_date:%B %-d, %Y}",
            "stage": case.get_stage_display(), "url": _url(case.pk),
        }  # fmt: skip
        for user in coordinators.get(case.program_id, []):
            items.append(Outgoing(f"court:{case.pk}:{case.court_return_date:%Y%m%d}:u{user.pk}", "court_date", now,
                                  context, user=user, case_id=case.pk))  # fmt: skip

    # Reoffending checks that have come due.
    due = OutcomeCheck.objects.filter(result="", due_on__lte=today).select_related("case")
    for check in due.iterator(chunk_size=2000):
        context = {"case_number": check.case.number, "months": check.months, "due_on": f"{check.due_on:%B %-d, %Y}",
                   "url": _url(check.case_id)}  # fmt: skip
        for user in coordinators.get(check.case.program_id, []):
            items.append(Outgoing(f"outcome:{check.pk}:u{user.pk}", "outcome_check_due", now, context,
                                  user=user, case_id=check.case_id, channel="in_app"))  # fmt: skip
    return notifications_queue(items)
