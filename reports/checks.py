"""The reoffending checks that fell due in a period, whoever was referred when, read from one stored row a day.

Checks due, recorded and found reoffended add up across days, since each check falls due on one day: they are
kept per (program, due day) in ``DueDayFigures`` (``reports.daily``), by window, mediated and juvenile, and a
day whose checks (or whose checks' cases) changed since its row was computed is recomputed by the read itself.
"""

from collections import defaultdict
from datetime import date

from django.db.models import BooleanField, Count, ExpressionWrapper, Q

from cases.models import OutcomeCheck, Program, juvenile_flag, mediated_q

from . import daily
from .daily import DayFigures
from .models import DueDay, DueDayFigures
from .periods import Period

RECORDED = [OutcomeCheck.Result.YES, OutcomeCheck.Result.NO]


def mediated_expression(prefix: str = "case"):
    """``mediated_q`` seen from a model that reaches the case through ``prefix``, as a column."""
    return ExpressionWrapper(prefixed(mediated_q(), prefix), output_field=BooleanField())


def prefixed(q: Q, prefix: str) -> Q:
    """The same condition, seen from a model that points at the case through ``prefix``."""
    clone = Q(_connector=q.connector, _negated=q.negated)
    for child in q.children:
        if isinstance(child, Q):
            clone.children.append(prefixed(child, prefix))
        else:
            clone.children.append((f"{prefix}__{child[0]}", child[1]))
    return clone


def compute_days(program: Program, days: dict) -> dict[date, list]:
    """The checks of ``program`` due on ``days`` (filter arguments on the due date), one query: {day: [[months,
    mediated, juvenile, due, recorded, reoffended], …]} as stored, in that order."""
    rows = (
        OutcomeCheck.objects.filter(case__program=program, **days)
        .annotate(juvenile=juvenile_flag("case"), mediated=mediated_expression())
        .values("due_on", "months", "mediated", "juvenile")
        .annotate(
            due=Count("pk"),
            recorded=Count("pk", filter=Q(result__in=RECORDED)),
            reoffended=Count("pk", filter=Q(result=OutcomeCheck.Result.YES)),
        )
        .order_by("due_on", "months", "mediated", "juvenile")
        .values_list("due_on", "months", "mediated", "juvenile", "due", "recorded", "reoffended")
    )
    out = defaultdict(list)
    for day, months, mediated, juvenile, *counts in rows:
        out[day].append([months, bool(mediated), bool(juvenile), *counts])
    return dict(out)


DAYS = DayFigures("due day figures", DueDay, DueDayFigures, compute_days, "due_on")
READ_MODEL = daily.read_model(
    DAYS, "DueDayFigures: the reoffending checks due on one day, by window, mediated and juvenile"
)


def add_up(days: list[list]) -> dict[tuple[int, bool, str], dict]:
    """{(months, mediated, "all", "juvenile" or "adult"): {"due", "recorded", "reoffended"}} over the days."""
    table = defaultdict(lambda: {"due": 0, "recorded": 0, "reoffended": 0})
    for rows in days:
        for months, mediated, juvenile, due, recorded, reoffended in rows:
            for group in ("all", "juvenile" if juvenile else "adult"):
                cell = table[(months, mediated, group)]
                cell["due"] += due
                cell["recorded"] += recorded
                cell["reoffended"] += reoffended
    return table


def checks_due(program: Program, period: Period) -> dict:
    """The checks of ``program`` due in ``period`` (``add_up``), from the stored days."""
    return add_up(daily.read(DAYS, program, period))


def direct_checks_due(program: Program, period: Period) -> dict:
    """The same, computed from the source tables alone, for comparison with the stored rows."""
    return add_up(list(compute_days(program, DAYS.between(period.start, period.end)).values()))
