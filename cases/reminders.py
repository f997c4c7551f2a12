"""Reminders about cases themselves: inactivity, court return dates, reoffending checks coming due.

Each sweep reads what came due since the last one (``vom.notifications.planning``: a watermark, less an
hour's overlap) and the cases whose timeline moved since, not every open case; the outbox's unique dedupe
keys make a repeat (the overlap, a retry, two sweeps at once) add nothing.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from vom.core.i18n import document_language
from vom.notifications.models import Notification
from vom.notifications.planning import sweep_finished, sweep_since
from vom.notifications.services import Outgoing, notifications_queue

from .models import Case, Membership, OutcomeCheck, Party, Program, TimelineEvent
from .stages import BEFORE_FOLLOW_UP

# Declared in the cases extension (CasesConfig.ready): what each template's context must carry.
NOTIFICATION_TEMPLATES = {
    "inactive_case": {"case_number", "stage", "days", "url"},
    "court_date": {"case_number", "court_date", "stage", "url"},
    "outcome_check_due": {"case_number", "months", "due_on", "url"},
}
CHUNK = 5000


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


def planning_params(coordinators: dict[int, list], *fields: str) -> dict:
    """What a planner's sweep depends on besides the records: each program's ``fields`` and its coordinators.
    When any of them changes (a shorter inactivity period, a new coordinator), the next sweep reads everything,
    as every sweep did before watermarks."""
    return {
        str(row["pk"]): [*(row[f] for f in fields), sorted(u.pk for u in coordinators.get(row["pk"], []))]
        for row in Program.objects.order_by("pk").values("pk", *fields)
    }


def touched_cases(since, now):
    """The ids of cases with something on their timeline between ``since`` and ``now`` (a subquery): every
    service that changes what a reminder depends on (a payment, a check, a move, new contact details) writes
    there. (An event stamped ahead of ``now``, by another server's clock, is read by the sweep after it.)"""
    return TimelineEvent.objects.filter(at__gte=since, at__lte=now).order_by().values("case_id")


def _quiet_candidates(now, since, params: dict) -> set[int]:
    """Open cases whose last activity passed its program's inactivity period since the last sweep."""
    ids: set[int] = set()
    for program_id, (days, *_rest) in params.items():
        start, end = since - timedelta(days=days), now - timedelta(days=days)
        events = TimelineEvent.objects.filter(case__program_id=program_id, at__gt=start, at__lte=end)
        ids.update(events.order_by().values_list("case_id", flat=True).distinct())
        ids.update(  # a case with nothing on its timeline counts from its last move
            Case.objects.filter(
                program_id=program_id, stage__in=BEFORE_FOLLOW_UP, stage_changed_at__gt=start, stage_changed_at__lte=end
            )
            .exclude(Exists(TimelineEvent.objects.filter(case=OuterRef("pk"))))
            .values_list("pk", flat=True)
        )
    return ids


def scoped(queryset, ids, lookup: str = "pk__in"):
    """``queryset`` whole (``ids`` None: a sweep with no watermark reads everything), or narrowed to ``ids`` in
    bounded IN lists (what came due or changed since the last sweep)."""
    if ids is None:
        yield queryset
        return
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        yield queryset.filter(**{lookup: ids[start : start + CHUNK]})


def _rows(queryset, ids):
    for part in scoped(queryset, ids):
        yield from part.iterator(chunk_size=2000)


def plan_case_reminders(*, now=None) -> int:
    """Every case reminder that came due since the last sweep (``vom.notifications.planning``): cases that
    went quiet, court dates coming up, reoffending checks due."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    coordinators = coordinators_by_program()
    params = planning_params(coordinators, "inactivity_days", "court_warning_days")
    since = sweep_since("cases", now=now, params=params)
    items: list[Outgoing] = []

    # Open cases with no timeline activity for longer than their program allows (follow-up has its own reminders).
    quiet = (
        Case.objects.filter(stage__in=BEFORE_FOLLOW_UP)
        .annotate(last_activity=Max("timeline__at"))
        .select_related("program", "lead_mediator")
    )
    for case in _rows(quiet, None if since is None else _quiet_candidates(now, since, params)):
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
    if since is not None:  # those that came due since the last sweep, and those of cases changed since
        ids = set(due.filter(due_on__gt=timezone.localdate(since)).values_list("pk", flat=True))
        ids.update(due.filter(case_id__in=touched_cases(since, now)).values_list("pk", flat=True))
    for check in _rows(due, None if since is None else ids):
        context = {"case_number": check.case.number, "months": check.months, "due_on": f"{check.due_on:%B %-d, %Y}",
                   "url": _url(check.case_id)}  # fmt: skip
        for user in coordinators.get(check.case.program_id, []):
            items.append(Outgoing(f"outcome:{check.pk}:u{user.pk}", "outcome_check_due", now, context,
                                  user=user, case_id=check.case_id, channel="in_app"))  # fmt: skip
    queued = notifications_queue(items)
    sweep_finished("cases", now=now, params=params)
    return queued
