"""The coordinator's dashboard for one program: a fixed number of queries, whatever the caseload."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from agreements.follow_up import behind, followed_summaries
from cases.models import Case, Membership, OutcomeCheck, Party, Program, overdue_q
from cases.stages import PIPELINE
from mediation.models import MediatorProfile, Meeting
from vom.notifications.models import Notification, TextOptOut

from .aggregates import Epoch, Median
from .charts import Bar, Chart, bar_chart
from .cohort import cohort_totals
from .periods import Period
from .report import caseload_url, restitution_section
from .suppression import hidden_text, suppress

FUNNEL = [  # figures of ``cohort.CASE_COUNTS``
    ("referred", "Referred", {}),
    ("screening", "Screening", {"reached": "screening"}),
    ("preparation", "Prepared", {"reached": "preparation"}),
    ("joint_session", "Joint session", {"reached": "joint_session"}),
    ("agreement", "Agreement", {"reached": "agreement"}),
    ("completed", "Completed", {"outcome": "completed"}),
]
SESSIONS_LISTED = 25
WORKLOAD_LISTED = 20


# Unrecorded reoffending checks are counted up to this many: a program that has stopped recording them has
# a backlog that grows with every closed case of its history, and counting it all read every one of them on
# each visit (the dashboard's slowest query at 100,000 cases). Beyond it the figure says "1,000+".
CHECKS_COUNTED = 1000


@dataclass
class Figure:
    label: str
    value: int
    url: str
    help: str = ""
    more: bool = False  # counted up to ``value`` and stopped: there are more

    @property
    def text(self) -> str:
        return f"{self.value:,}+" if self.more else f"{self.value:,}"


@dataclass
class Dashboard:
    program: Program
    period: Period
    funnel: Chart
    stages: Chart
    overdue: list[Figure]
    sessions: list
    sessions_total: int
    week: Period
    workload: Chart
    restitution: object
    texts: dict  # sent and failed in the period, numbers that replied STOP
    referred: int  # cases referred in the period (the funnel's first bar, even when it shows "fewer than")


def _caseload(program: Program, **filters) -> str:
    return f"{reverse('cases:list')}?{urlencode({'program': program.pk, **filters})}"


def dashboard(program: Program, period: Period, now: datetime) -> Dashboard:
    """Statistics (the funnel, open cases by stage, restitution) hide small numbers
    (``suppression``); the work lists (what is overdue, this week's meetings, each mediator's load) are
    the coordinator's own queue of cases they open by name anyway, and are shown as they are."""
    today = timezone.localdate(now)
    totals = cohort_totals(program, period)
    restitution = restitution_section(program, totals, ["Cases referred in the period"])
    suppress(restitution, program.report_threshold)
    stages, stuck = _stages(program, now)
    return Dashboard(
        program=program,
        period=period,
        funnel=_funnel(program, period, totals),
        referred=totals["referred"]["all"],
        stages=stages,
        overdue=_overdue(program, today, stuck),
        week=(week := Period(today - timedelta(days=today.weekday()), today + timedelta(days=6 - today.weekday()))),
        sessions=(sessions := _sessions(program, week))[0],
        sessions_total=sessions[1],
        workload=_workload(program),
        restitution=restitution,
        texts=_texts(program, period),
    )


def _funnel(program, period, totals: dict) -> Chart:
    referred = totals["referred"]["all"]
    bars = []
    for key, label, filters in FUNNEL:
        value = totals[key]["all"]
        share = f" ({100 * value / referred:.0f}%)" if referred and key != "referred" else ""
        bars.append(_bar(program, label, value, f"{value:,}{share}", caseload_url(program, period, **filters)))
    return bar_chart("funnel", f"From referral to completion, cases referred {period}", bars)


def _bar(program, label: str, value: int, text: str, url: str, note: str = "", detail: str = "") -> Bar:
    """A bar of counted cases; fewer than the program's threshold is neither drawn nor numbered."""
    if 0 < value < program.report_threshold:
        return Bar(label, 0, hidden_text(program.report_threshold), url)
    return Bar(label, value, text, url, note, detail)


def _stages(program, now) -> tuple[Chart, int]:
    """Open cases by stage, and how many of them are stuck there (``overdue_q``), in one query."""
    rows = (
        Case.objects.filter(program=program).open().order_by().values("stage")
        .annotate(n=Count("pk"), since=Median(Epoch("stage_changed_at")), stuck=Count("pk", filter=overdue_q(now)))
    )  # fmt: skip
    by_stage = {row["stage"]: row for row in rows}
    bars = []
    for stage in PIPELINE:
        row = by_stage.get(stage, {"n": 0, "since": None})
        median_days = None if row["since"] is None else max(0, round((now.timestamp() - row["since"]) / 86400))
        note = "" if median_days is None else f"median {median_days} day{'s' if median_days != 1 else ''} in stage"
        detail = f"{row['n']:,}" + (f" · {note}" if note else "")
        url = _caseload(program, stage=stage)
        bars.append(_bar(program, Case.Stage(stage).label, row["n"], f"{row['n']:,}", url, note, detail))
    stuck = sum(row["stuck"] for row in by_stage.values())
    return bar_chart("stages", "Open cases by stage, with the median time spent in it", bars), stuck


def _overdue(program, today, stuck: int) -> list[Figure]:
    # From the stored summaries the Follow-up list sorts on: its red rows, counted.
    late = behind(followed_summaries(Q(), program=program.pk), today).count()
    unrecorded = OutcomeCheck.objects.filter(case__program=program, due_on__lte=today, result="").order_by()
    checks = unrecorded.values("pk")[: CHECKS_COUNTED + 1].count()
    return [
        Figure("Cases stuck in their stage", stuck, _caseload(program, overdue="on"),
               "Longer in screening, preparation or before the session than the program allows."),
        Figure("Agreements behind", late,
               f"{reverse('agreements:follow_up_list')}?{urlencode({'behind': 1, 'program': program.pk})}",
               "A payment, hours or a check due before today and not kept: overdue or defaulted."),
        Figure("Reoffending checks due, not recorded", min(checks, CHECKS_COUNTED), reverse("cases:outcome_checks"),
               "6, 12 or 30 months (as the program sets) after closure.", more=checks > CHECKS_COUNTED),
    ]  # fmt: skip


def _texts(program, period: Period) -> dict:
    """Reminders by text: how many went out and failed in the period; how many of the program's parties
    replied STOP (their number gets no text again)."""
    start, end = period.moments()
    figures = Notification.objects.filter(
        channel=Notification.Channel.SMS, case_id__in=Case.objects.filter(program=program).values("pk")
    ).aggregate(
        sent=Count("pk", filter=Q(status=Notification.Status.SENT, sent_at__gte=start, sent_at__lt=end)),
        failed=Count("pk", filter=Q(status=Notification.Status.FAILED, due_at__gte=start, due_at__lt=end)),
    )
    stopped = TextOptOut.objects.filter(
        number__in=Party.objects.filter(case__program=program).exclude(phone="").values("phone")
    ).count()
    return figures | {"opted_out": stopped}


def _sessions(program, week: Period):
    start, end = week.moments()
    meetings = Meeting.objects.filter(
        case__program=program, scheduled_for__gte=start, scheduled_for__lt=end,
        status__in=[Meeting.Status.SCHEDULED, Meeting.Status.HELD],
    ).select_related("case").order_by("scheduled_for", "pk")  # fmt: skip
    listed = list(meetings[:SESSIONS_LISTED])
    total = len(listed) if len(listed) < SESSIONS_LISTED else meetings.count()
    return listed, total


def _workload(program) -> Chart:
    """The mediators carrying the most open cases against their maximum, busiest first: a program with
    hundreds of volunteer mediators gets a chart that still reads (and renders) at a glance."""
    carried = Counter()
    pairs = Case.objects.open().filter(program=program).order_by().values("lead_mediator", "co_mediator")
    for row in pairs.annotate(n=Count("pk")):
        for mediator in {row["lead_mediator"], row["co_mediator"]} - {None}:
            carried[mediator] += row["n"]
    maximum = MediatorProfile.objects.filter(user=OuterRef("pk")).values("max_active_cases")
    mediators = list(
        get_user_model().objects.filter(
            memberships__program=program, memberships__role=Membership.Role.MEDIATOR, is_active=True
        )
        .annotate(maximum=Subquery(maximum))
        .order_by("last_name", "first_name", "pk")
        .only("pk", "username", "first_name", "last_name")
    )  # fmt: skip

    def load(user):
        return carried[user.pk] / user.maximum if user.maximum else carried[user.pk]

    mediators.sort(key=lambda user: (-load(user), -carried[user.pk]))  # stable: by name among equals
    shown = mediators[:WORKLOAD_LISTED]
    bars, limits = [], []
    for user in shown:
        active_n, limit = carried[user.pk], user.maximum
        text = f"{active_n} of {limit}" if limit else f"{active_n}"
        over = " (over the maximum)" if limit is not None and active_n > limit else ""
        url = _caseload(program, mediator=user.pk, stage="open")
        bars.append(Bar(user.get_full_name() or user.username, active_n, text, url, over.strip(" ()"), text + over))
        limits.append(limit)
    title = "Mediator workload: open cases against each one's maximum"
    if len(mediators) > len(shown):
        idle = sum(1 for user in mediators if not carried[user.pk])
        title += f" (the {len(shown)} busiest of {len(mediators):,} mediators; {idle:,} carry no open case)"
    return bar_chart("workload", title, bars, limits=limits)
