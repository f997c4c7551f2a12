"""The survey answers submitted in a period, per respondent role: how many responses, and each question's sum and
count of answers (``None``, "prefer not to say", left out), read from one stored row a day.

Sums and counts add up across days, since each response is submitted at one moment: they are kept per (program,
day submitted, role) in ``SurveyDayFigures`` (``reports.daily``). A day is the one ``Period.moments()`` bounds: a
calendar day in the current time zone (``TIME_ZONE``), so a period's days hold exactly the responses its moments
do. A day whose responses (or whose responses' cases' program) changed since its row was computed is recomputed by
the read itself; on SQLite (no triggers) the figures are computed directly.
"""

from collections import defaultdict
from datetime import date

from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import Length, TruncDate
from django.db.models.lookups import GreaterThan, LessThanOrEqual

from cases.models import Program
from surveys.models import INDEXED_COMMENT_LENGTH, SurveyResponse
from surveys.questions import FIELDS

from . import daily
from .daily import DayFigures
from .models import SurveyDay, SurveyDayFigures
from .periods import Period

# A role's figures, in this order, as stored: responses, then each question's sum and count.
COLUMNS = ["responses"] + [f"{field}_{measure}" for field in FIELDS for measure in ("sum", "n")]
_AGGREGATES = {"responses": Count("pk")} | {
    f"{field}_{measure}": (Sum if measure == "sum" else Count)(field) for field in FIELDS for measure in ("sum", "n")
}


def submitted(program: Program, period: Period):
    """The responses to ``program``'s surveys submitted in ``period``: a range of moments the index on
    ``submitted_at`` serves."""
    start, end = period.moments()
    return SurveyResponse.objects.filter(case__program=program, submitted_at__gte=start, submitted_at__lt=end)


def compute_days(program: Program, days: dict) -> dict[date, dict]:
    """The responses of ``program`` submitted on ``days`` (filter arguments on ``submitted_day``), one query:
    {day: {role: [responses, fair sum, fair count, …]}} as stored (``COLUMNS``)."""
    chosen = next(iter(days.values()))  # a (first, last) range or a sorted list of days: bounded either way
    rows = (
        submitted(program, Period(min(chosen), max(chosen)))
        .annotate(submitted_day=TruncDate("submitted_at"))  # the current time zone's day, as Period.moments()
        .filter(**days)
        .order_by()
        .values("submitted_day", "respondent_role")
        .annotate(**_AGGREGATES)
        .values_list("submitted_day", "respondent_role", *COLUMNS)
    )
    out = defaultdict(dict)
    for day, role, *figures in rows:
        out[day][role] = [value or 0 for value in figures]  # a sum of no answers is 0, as its count
    return dict(out)


DAYS = DayFigures("survey day figures", SurveyDay, SurveyDayFigures, compute_days, "submitted_day")
READ_MODEL = daily.read_model(
    DAYS, "SurveyDayFigures: the survey responses submitted on one day, per role, each question's sum and count"
)


def add_up(days: list[dict]) -> dict[str, dict[str, int]]:
    """{role: {"responses", "fair_sum", "fair_n", …}} over the days, for each role that answered."""
    table = {}
    for roles in days:
        for role, figures in roles.items():
            totals = table.setdefault(role, dict.fromkeys(COLUMNS, 0))
            for column, value in zip(COLUMNS, figures, strict=True):
                totals[column] += value
    return table


def answers_by_role(program: Program, period: Period) -> dict[str, dict[str, int]]:
    """The responses to ``program``'s surveys submitted in ``period`` (``add_up``), from the stored days; computed
    directly where there are no triggers (not PostgreSQL)."""
    if connection.vendor != "postgresql":
        return direct_answers_by_role(program, period)
    return add_up(daily.read(DAYS, program, period))


def survey_comments(program: Program, period: Period, shown: int) -> list[str]:
    """The first ``shown`` comments submitted in ``period``, ordered by their text (never by who or when).

    On PostgreSQL, the first ``shown`` of those short enough for the comments-by-text index (read in that order,
    they stop at the last one shown) and every longer one of the period (by time, a few), ordered together: the
    same comments as ordering them all (``direct_survey_comments``), however many the period holds."""
    if connection.vendor != "postgresql":
        return direct_survey_comments(program, period, shown)
    commented = submitted(program, period).exclude(comment="").values_list("comment", flat=True)
    short = commented.filter(LessThanOrEqual(Length("comment"), INDEXED_COMMENT_LENGTH)).order_by("comment")
    longer = commented.filter(GreaterThan(Length("comment"), INDEXED_COMMENT_LENGTH)).order_by()
    return list(short[:shown].union(longer, all=True).order_by("comment")[:shown])


def direct_survey_comments(program: Program, period: Period, shown: int) -> list[str]:
    """The same, by ordering every comment of the period."""
    return list(
        submitted(program, period).exclude(comment="").order_by("comment").values_list("comment", flat=True)[:shown]
    )


def direct_answers_by_role(program: Program, period: Period) -> dict[str, dict[str, int]]:
    """The same, from the responses alone in one query (grouped by role over the period's moments)."""
    rows = submitted(program, period).order_by().values("respondent_role").annotate(**_AGGREGATES)
    return {row["respondent_role"]: {column: row[column] or 0 for column in COLUMNS} for row in rows}
