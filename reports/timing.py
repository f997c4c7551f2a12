"""Time taken by the cases referred in a period, from referral to the first joint session and to closure: the
median of each, read from one stored row a referral day.

Medians do not add up across days, but the values they are taken from do: each case's days to its first held
joint session and to its closure are kept per (program, referral day) in ``TimingDayFigures``
(``reports.daily``), and the period's median is taken here from the values of its days, as PostgreSQL's
``percentile_cont(0.5)`` takes it (the middle value, or the two middle ones interpolated), to the same float.
"""

import math
from collections import defaultdict
from datetime import date

from django.db.models import OuterRef, Subquery

from cases.models import Case, Program
from mediation.models import Meeting

from . import daily
from .aggregates import days_between
from .daily import DayFigures
from .models import TimingDay, TimingDayFigures
from .periods import Period

GROUPS = ("juvenile", "adult")
MEASURES = ("session", "closure")


def compute_days(program: Program, days: dict) -> dict[date, dict]:
    """The cases of ``program`` referred on ``days`` (filter arguments on the referral date), one query: {day:
    {"juvenile" or "adult": [[days to the first joint session…], [days to closure…]]}}, each list ascending."""
    # The first held joint session, one probe of the partial index mediation_meeting_joint_held per case.
    first_session = (
        Meeting.objects.filter(case=OuterRef("pk"), kind=Meeting.Kind.JOINT, status=Meeting.Status.HELD)
        .order_by("scheduled_for")
        .values("scheduled_for")[:1]
    )
    rows = (
        Case.objects.filter(program=program, **days)
        .annotate(session_at=Subquery(first_session))
        .annotate(to_session=days_between("referral_date", "session_at"),
                  to_closure=days_between("referral_date", "closed_at"))
        .order_by()
        .values_list("referral_date", "juvenile", "to_session", "to_closure")
    )  # fmt: skip
    out = defaultdict(dict)
    for day, juvenile, to_session, to_closure in rows:
        values = out[day].setdefault("juvenile" if juvenile else "adult", [[], []])
        for index, value in enumerate((to_session, to_closure)):
            if value is not None:
                values[index].append(value)
    for groups in out.values():
        for values in groups.values():
            for measured in values:
                measured.sort()
    return dict(out)


DAYS = DayFigures("timing day figures", TimingDay, TimingDayFigures, compute_days, "referral_date")
READ_MODEL = daily.read_model(
    DAYS, "TimingDayFigures: the days each case referred on one day took to its joint session and to closure"
)


def median(values: list[float]) -> float | None:
    """PostgreSQL's ``percentile_cont(0.5)`` of ascending ``values``: the middle one, or ``lo + (hi - lo) * 0.5``
    of the middle two (its interpolation, to the same float)."""
    if not values:
        return None
    position = 0.5 * (len(values) - 1)
    first, second = math.floor(position), math.ceil(position)
    lo, hi = values[first], values[second]
    return lo if second == first else lo + (hi - lo) * (position - first)


def medians(days: list[dict]) -> dict[str, dict]:
    """{"session", "closure", "session_n", "closure_n": {"all", "juvenile", "adult": value}} over the days."""
    values = {(measure, group): [] for measure in MEASURES for group in GROUPS}
    for groups in days:
        for group, measured in groups.items():
            for measure, found in zip(MEASURES, measured, strict=True):
                values[(measure, group)] += found
    out = {}
    for measure in MEASURES:
        by_group = {group: sorted(values[(measure, group)]) for group in GROUPS}
        by_group["all"] = sorted(by_group["juvenile"] + by_group["adult"])
        out[measure] = {group: median(found) for group, found in by_group.items()}
        out[f"{measure}_n"] = {group: len(found) for group, found in by_group.items()}
    return out


def times_taken(program: Program, period: Period) -> dict[str, dict]:
    """The medians of the cases referred to ``program`` in ``period`` (``medians``), from the stored days."""
    return medians(daily.read(DAYS, program, period))


def direct_times_taken(program: Program, period: Period) -> dict[str, dict]:
    """The same, computed from the source tables alone, for comparison with the stored rows."""
    return medians(list(compute_days(program, DAYS.between(period.start, period.end)).values()))
